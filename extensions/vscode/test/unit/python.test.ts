import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decide, InterpreterSelector, InterpreterTarget, Memory, pythonExtensionTarget, settingsFileTarget, wanted } from '../../src/python';
import { env } from './fixtures';

class FakeMemory implements Memory {
  values = new Map<string, string | undefined>();
  get(key: string) {
    return this.values.get(key);
  }
  async update(key: string, value: string | undefined) {
    this.values.set(key, value);
  }
}

/** A target like the settings file: undefined until something is written. */
class FakeTarget implements InterpreterTarget {
  selected: string[] = [];
  constructor(
    public value: string | undefined = undefined,
    readonly name = 'settings',
  ) {}
  async current() {
    return this.value;
  }
  async select(_folder: string, interpreter: string) {
    this.value = interpreter;
    this.selected.push(interpreter);
  }
}

const VENV_PY = '/home/me/project/.venv/bin/python';

test('decide: unset or ours is ours to change; anything else was chosen by hand', () => {
  assert.equal(decide(undefined, undefined, VENV_PY), 'select');
  assert.equal(decide('/old/python', '/old/python', VENV_PY), 'select');
  assert.equal(decide('/usr/bin/python3', undefined, VENV_PY), 'keep-user-choice');
  assert.equal(decide('/usr/bin/python3', '/old/python', VENV_PY), 'keep-user-choice');
  assert.equal(decide(VENV_PY, undefined, VENV_PY), 'already');
});

test('wanted: the interpreter, unless there is none or the venv is broken', () => {
  assert.equal(wanted(env().python), VENV_PY);
  assert.equal(wanted(null), undefined);
  assert.equal(wanted({ ...env().python!, broken: 'its python is gone' }), undefined);
});

test('selects the venv, then follows it when the store path changes', async () => {
  const target = new FakeTarget();
  const memory = new FakeMemory();
  const s = new InterpreterSelector(() => target, memory, () => {});
  assert.equal(await s.update('/ws', env().python), 'select');
  assert.deepEqual(target.selected, [VENV_PY]);
  assert.equal(await s.update('/ws', env().python), 'already');
  const shellOnly = { ...env().python!, interpreter: '/nix/store/new-python3/bin/python3', venv: null };
  assert.equal(await s.update('/ws', shellOnly), 'select');
  assert.equal(target.value, '/nix/store/new-python3/bin/python3');
});

test("never overrides the user's own choice", async () => {
  const target = new FakeTarget('/opt/my/python');
  const memory = new FakeMemory();
  const s = new InterpreterSelector(() => target, memory, () => {});
  assert.equal(await s.update('/ws', env().python), 'keep-user-choice');
  assert.deepEqual(target.selected, []);
  // Chosen by hand after we selected: left alone too.
  const ours = new FakeTarget();
  const s2 = new InterpreterSelector(() => ours, memory, () => {});
  await s2.update('/ws2', env().python);
  ours.value = '/opt/my/python';
  const moved = { ...env().python!, interpreter: '/elsewhere/.venv/bin/python' };
  assert.equal(await s2.update('/ws2', moved), 'keep-user-choice');
  assert.equal(ours.value, '/opt/my/python');
});

test("the Python extension's automatic choice is not a user's choice", async () => {
  const active = new Map<unknown, string>([['/ws', '/usr/bin/python3']]);
  const api = {
    environments: {
      getActiveEnvironmentPath: (r?: unknown) => ({ path: active.get(r) ?? '/usr/bin/python3' }),
      updateActiveEnvironmentPath: async (p: string, r?: unknown) => void active.set(r, p),
    },
  };
  const memory = new FakeMemory();
  const s = new InterpreterSelector(() => pythonExtensionTarget(api, (f) => f), memory, () => {});
  assert.equal(await s.update('/ws', env().python), 'select');
  assert.equal(active.get('/ws'), VENV_PY);
  // Then the user picks another one in the Python extension: kept.
  active.set('/ws', '/usr/bin/python3.12');
  assert.equal(await s.update('/ws', { ...env().python!, interpreter: '/x/.venv/bin/python' }), 'keep-user-choice');
});

test('the settings file: written with comments kept, read back, the default counts as unset', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'flake-lsp-python-'));
  const t = settingsFileTarget();
  assert.equal(await t.current(folder), undefined);
  await t.select(folder, VENV_PY);
  assert.equal(JSON.parse(readFileSync(join(folder, '.vscode/settings.json'), 'utf8'))['python.defaultInterpreterPath'], VENV_PY);

  const other = mkdtempSync(join(tmpdir(), 'flake-lsp-python-'));
  mkdirSync(join(other, '.vscode'));
  writeFileSync(join(other, '.vscode/settings.json'), '{\n    // mine\n    "editor.tabSize": 2,\n    "python.defaultInterpreterPath": "python"\n}\n');
  assert.equal(await t.current(other), undefined);
  await t.select(other, VENV_PY);
  const text = readFileSync(join(other, '.vscode/settings.json'), 'utf8');
  assert.match(text, /\/\/ mine/);
  assert.match(text, /"editor.tabSize": 2/);
  assert.equal(await t.current(other), VENV_PY);
});
