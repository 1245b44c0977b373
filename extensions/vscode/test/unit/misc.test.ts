import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findRoot, Flakes } from '../../src/flakes';
import { findServer } from '../../src/locate';
import { openEnvironmentTerminal, terminalEnv } from '../../src/terminal';
import { env } from './fixtures';

test('the server: the setting, then the bundled binary, then PATH', async () => {
  const ok = (files: string[]) => async (f: string) => files.includes(f);
  assert.deepEqual(await findServer('/opt/flake-lsp', '/ext', '/bin', ok(['/opt/flake-lsp', '/ext/server/flake-lsp'])), {
    path: '/opt/flake-lsp',
    source: 'setting',
  });
  assert.deepEqual(await findServer(null, '/ext', '/bin', ok(['/ext/server/flake-lsp', '/bin/flake-lsp'])), {
    path: '/ext/server/flake-lsp',
    source: 'bundled',
  });
  assert.deepEqual(await findServer('', '/ext', '/usr/bin:/bin', ok(['/bin/flake-lsp'])), { path: '/bin/flake-lsp', source: 'PATH' });
  const missing = await findServer(null, '/ext', '/bin', ok([]));
  assert.ok('error' in missing && /flakeLsp\.server\.path/.test(missing.error));
  // A setting naming a missing file is reported, not skipped.
  const bad = await findServer('/nope', '/ext', '/bin', ok(['/bin/flake-lsp']));
  assert.ok('error' in bad && /\/nope/.test(bad.error));
});

test('"Enter environment": a terminal named after the shell, in the root, unset variables removed', () => {
  const spec = { name: 'nix: default', cwd: '/home/me/project', env: env().set, unset: ['GONE'], state: 'ready' as const };
  assert.deepEqual(terminalEnv(spec), { ...env().set, GONE: null });
  let options: unknown;
  let shown = false;
  const window = { createTerminal: (o: unknown) => ((options = o), { show: () => (shown = true) }) } as never;
  openEnvironmentTerminal(window, spec);
  assert.deepEqual(options, { name: 'nix: default', cwd: '/home/me/project', env: { ...env().set, GONE: null }, strictEnv: false });
  assert.equal(shown, true);
});

test('folders map to the nearest flake at or above them; files to the deepest flake', async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'flake-lsp-flakes-')));
  mkdirSync(join(dir, 'repo/sub/deeper'), { recursive: true });
  mkdirSync(join(dir, 'repo/other'), { recursive: true });
  writeFileSync(join(dir, 'repo/flake.nix'), '{}');
  writeFileSync(join(dir, 'repo/other/flake.nix'), '{}');
  assert.equal(await findRoot(join(dir, 'repo/sub/deeper')), join(dir, 'repo'));
  assert.equal(await findRoot(dir), undefined);

  const flakes = new Flakes();
  await flakes.setFolders([join(dir, 'repo/sub'), join(dir, 'repo/other')]);
  assert.deepEqual(flakes.foldersOf(join(dir, 'repo')), [join(dir, 'repo/sub')]);
  assert.equal(flakes.rootFor(join(dir, 'repo/other/x.nix')), join(dir, 'repo/other'));
  assert.equal(flakes.rootFor(join(dir, 'repo/sub/a.py')), join(dir, 'repo'));
  flakes.set(env({ root: join(dir, 'repo') }));
  assert.equal(flakes.get(join(dir, 'repo'))?.state, 'ready');
});
