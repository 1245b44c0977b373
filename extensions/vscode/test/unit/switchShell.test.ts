import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { guardLine, ShellKind, shellKind, switchScript } from '../../src/switchShell';
import { env, HOST_PATH } from './fixtures';

const alpha = env({
  root: '/work/alpha',
  set: { PATH: `/work/alpha/.venv/bin:/nix/store/aaa-python3/bin:${HOST_PATH}`, VIRTUAL_ENV: '/work/alpha/.venv', ONLY_ALPHA: 'a', GREETING: 'alpha' },
  unset: [],
});
const beta = env({
  root: '/work/beta',
  set: {
    PATH: `/work/beta/.venv/bin:/nix/store/bbb-python3/bin:${HOST_PATH}`,
    VIRTUAL_ENV: '/work/beta/.venv',
    GREETING: "beta's \"quoted\" $value\nsecond line",
  },
  unset: ['GONE'],
});

/**
 * Runs `shell` (bash, zsh, fish: installed by scripts/test.sh) in a terminal that holds alpha's
 * dev shell twice on PATH after an rc file's entry, types the guard line for beta, and prints
 * what it then has.
 */
function after(shell: string, kind: ShellKind, marker: string): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'flake-lsp-switch-'));
  try {
    const script = join(dir, kind === 'fish' ? 'beta.fish' : 'beta.sh');
    writeFileSync(script, switchScript(kind, '/work/beta', beta, [alpha, beta], HOST_PATH));
    const print = kind === 'fish' ? 'printf "%s\\n" "$PATH" "$VIRTUAL_ENV" "$ONLY_ALPHA" "$GREETING" "$FLAKE_LSP_FOLDER" "$GONE"; printf "%s\\n" END' : 'printf "%s\\n" "$PATH" "$VIRTUAL_ENV" "$ONLY_ALPHA" "$GREETING" "$FLAKE_LSP_FOLDER" "$GONE" END';
    const out = execFileSync(shell, ['-c', `${guardLine('/work/beta', script)}\n${print}`], {
      encoding: 'utf8',
      env: {
        PATH: `/work/alpha/.venv/bin:/nix/store/aaa-python3/bin:/home/me/shims:/work/alpha/.venv/bin:/nix/store/aaa-python3/bin:${HOST_PATH}`,
        VIRTUAL_ENV: '/work/alpha/.venv',
        ONLY_ALPHA: 'a',
        GREETING: 'alpha',
        GONE: 'still here',
        FLAKE_LSP_FOLDER: marker,
        HOME: dir,
      },
    });
    const [path, virtualEnv, onlyAlpha, greeting1, greeting2, folder, gone] = out.split('\n');
    return { path, virtualEnv, onlyAlpha, greeting: `${greeting1}\n${greeting2}`, folder, gone };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [shell, kind] of [
  ['bash', 'posix'],
  ['zsh', 'posix'],
  ['fish', 'fish'],
] as const) {
  test(`${shell}: a terminal with another folder's dev shell gets this folder's, the rc files' entries kept`, () => {
    const got = after(shell, kind, '/work/alpha');
    assert.equal(got.path, `/work/beta/.venv/bin:/nix/store/bbb-python3/bin:/home/me/shims:${HOST_PATH}`);
    assert.equal(got.virtualEnv, '/work/beta/.venv');
    assert.equal(got.onlyAlpha, '');
    assert.equal(got.greeting, "beta's \"quoted\" $value\nsecond line");
    assert.equal(got.folder, '/work/beta');
    assert.equal(got.gone, '');
  });

  test(`${shell}: the guard line does nothing where the folder's dev shell is already there`, () => {
    const got = after(shell, kind, '/work/beta');
    assert.equal(got.virtualEnv, '/work/alpha/.venv');
    assert.equal(got.onlyAlpha, 'a');
  });
}

test('the shell a terminal runs decides the script', () => {
  assert.equal(shellKind('/usr/bin/bash'), 'posix');
  assert.equal(shellKind('zsh'), 'posix');
  assert.equal(shellKind('-bash'), 'posix');
  assert.equal(shellKind('/usr/bin/fish'), 'fish');
  assert.equal(shellKind('pwsh'), undefined);
  assert.equal(shellKind(undefined), undefined);
});
