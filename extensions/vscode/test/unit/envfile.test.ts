import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decideEnvFile, dotenv, dotenvLine, envFilePath, isOurs, writeAtomically } from '../../src/envfile';
import { env, HOST_PATH } from './fixtures';

/**
 * The Python extension's reader, as it is in ms-python.python (vscode-python
 * src/client/common/variables/environment.ts, `parseEnvFile`), without the telemetry: what the
 * file must survive. The end-to-end test reads it back through the real extension.
 */
function pythonExtensionReads(text: string, processEnv: Record<string, string> = {}): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*(_*[a-zA-Z]\w*)\s*=\s*(.*?)?\s*$/);
    if (!m) continue;
    let value = m[2] ?? '';
    if (value !== '' && ((value[0] === "'" && value.endsWith("'")) || (value[0] === '"' && value.endsWith('"')))) {
      value = value.substring(1, value.length - 1).replace(/\\n/gm, '\n');
    }
    value = value.replace(/\$\{([a-zA-Z]\w*)?([^}\w].*)?\}/g, (match, name, bad, offset, whole) =>
      offset > 0 && whole[offset - 1] === '\\' ? match : bad || !name ? match : (vars[name] ?? processEnv[name] ?? ''),
    );
    vars[m[1]] = value.replace(/\\\$/g, '$');
  }
  return vars;
}

test('values come back exactly: quotes, dollars, backslashes, blanks, newlines', () => {
  const values = {
    PLAIN: '/nix/store/abc-hello/bin',
    QUOTES: `say "hi" and 'bye'`,
    WRAPPED: '"quoted all through"',
    DOLLARS: 'cost $5 and ${HOME} and \\${X} and \\$',
    BLANKS: '  padded  ',
    MULTILINE: 'first line\nsecond "quoted" $x\n',
    BACKSLASH: 'C:\\dir\\new',
    EMPTY: '',
  };
  const { text, skipped } = dotenv(values, HOST_PATH, 'test');
  assert.deepEqual(skipped, []);
  const read = pythonExtensionReads(text, { HOME: '/home/me', X: 'x' });
  for (const [name, value] of Object.entries(values)) assert.equal(read[name], value, name);
});

test('what cannot be written exactly is left out and named', () => {
  assert.equal(dotenvLine('BOTH', 'a newline\nand a literal \\n'), undefined);
  assert.equal(dotenvLine('CR', 'a\rb'), undefined);
  assert.equal(dotenvLine('not-a-name', 'x'), undefined);
  const { text, skipped } = dotenv({ GOOD: 'yes', BOTH: 'x\n\\n' }, HOST_PATH, 'test');
  assert.deepEqual(skipped, ['BOTH']);
  assert.match(text, /^GOOD=yes$/m);
});

test("PATH holds only the dev shell's entries (the Python extension appends it to its own)", () => {
  const { text } = dotenv(env().set, HOST_PATH, 'Nix dev shell default');
  const read = pythonExtensionReads(text);
  assert.equal(read.PATH, '/home/me/project/.venv/bin:/nix/store/abc-python3-3.11.9/bin');
  assert.equal(read.VIRTUAL_ENV, '/home/me/project/.venv');
  assert.match(text, /^# Nix dev shell default$/m);
});

test('one file per folder, outside the workspace; written only when it changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flake-lsp-envfile-'));
  try {
    const a = envFilePath(dir, '/work/a/project');
    const b = envFilePath(dir, '/work/b/project');
    assert.notEqual(a, b);
    assert.ok(a.startsWith(join(dir, 'envfiles', 'project-')));
    assert.equal(await writeAtomically(a, 'X=1\n'), true);
    assert.equal(await writeAtomically(a, 'X=1\n'), false);
    assert.equal(readFileSync(a, 'utf8'), 'X=1\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("python.envFile is pointed at ours unless the user set one or keeps a .env", () => {
  assert.equal(decideEnvFile(undefined, '/s/ours.env', false), 'point');
  assert.equal(decideEnvFile('/s/ours.env', '/s/ours.env', true), 'already');
  assert.equal(decideEnvFile('${workspaceFolder}/.env.dev', '/s/ours.env', false), 'user-setting');
  assert.equal(decideEnvFile(undefined, '/s/ours.env', true), 'user-dotenv');
});

test("another machine's flake-lsp env file (a committed settings file) is replaced, not kept", () => {
  const storage = '/home/me/.local/share/code-server/User/workspaceStorage/abc/flake-lsp.flake-lsp';
  const ours = envFilePath(storage, '/home/me/project');
  assert.equal(isOurs(ours), true);
  const theirs = '/Users/you/Library/Application Support/Code/User/workspaceStorage/f00/flake-lsp.flake-lsp/envfiles/project-0123456789ab.env';
  assert.equal(decideEnvFile(theirs, ours, false), 'point');
  assert.equal(isOurs('/home/me/project/.env'), false);
  assert.equal(isOurs('${workspaceFolder}/envfiles/dev-0123456789ab.env'), false);
});
