import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  decide,
  decideObserved,
  envsExtensionTarget,
  EnvsApi,
  EnvsEnvironment,
  InterpreterSelector,
  InterpreterTarget,
  isEnvsApi,
  Memory,
  pythonExtensionTarget,
  settingsFileTarget,
  settlesWithin,
  wanted,
} from '../../src/python';
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

/**
 * A fake of the Python extension's API: it reports every change, like the real one, and can
 * overwrite our choice right after we made it (as its first-run migration does).
 */
class FakePythonApi {
  active = new Map<unknown, string>();
  listeners: ((e: { path: string; resource?: { fsPath: string } }) => void)[] = [];
  /** Values written over ours right after each of our selections, one per selection. */
  overwrites: string[] = [];
  updates = 0;
  constructor(initial = '/usr/bin/python3') {
    this.active.set('/ws', initial);
  }
  set(folder: string, path: string) {
    this.active.set(folder, path);
    for (const l of this.listeners) l({ path, resource: { fsPath: folder } });
  }
  environments = {
    getActiveEnvironmentPath: (r?: unknown) => ({ path: this.active.get(r) ?? '/usr/bin/python3' }),
    updateActiveEnvironmentPath: async (p: string, r?: unknown) => {
      this.updates++;
      this.set(r as string, p);
      const over = this.overwrites.shift();
      if (over !== undefined) this.set(r as string, over);
    },
    onDidChangeActiveEnvironmentPath: (l: (e: { path: string; resource?: { fsPath: string } }) => void) => {
      this.listeners.push(l);
      return { dispose: () => (this.listeners = this.listeners.filter((x) => x !== l)) };
    },
  };
}

function pythonSelector(api: FakePythonApi, memory = new FakeMemory(), log: string[] = []) {
  const target = pythonExtensionTarget(api, (f) => f);
  return new InterpreterSelector(() => target, memory, (m) => log.push(m), { settleMs: 0, sleep: async () => {} });
}

test('decideObserved: only the interpreter seen chosen by hand is kept', () => {
  assert.equal(decideObserved('/usr/bin/python3', undefined, VENV_PY), 'select');
  assert.equal(decideObserved('/usr/bin/python3', '/usr/bin/python3', VENV_PY), 'keep-user-choice');
  assert.equal(decideObserved('/opt/python', '/usr/bin/python3', VENV_PY), 'select');
  assert.equal(decideObserved(VENV_PY, '/usr/bin/python3', VENV_PY), 'already');
});

test("the Python extension's automatic choice, or what was there before, is not a user's choice", async () => {
  const api = new FakePythonApi('/usr/bin/python3');
  const memory = new FakeMemory();
  // Even with our memory of a past selection, an unexplained interpreter is replaced.
  memory.values.set('flakeLsp.python.selected:/ws', '/old/.venv/bin/python');
  const s = pythonSelector(api, memory);
  assert.equal(await s.update('/ws', env().python), 'select');
  assert.equal(api.active.get('/ws'), VENV_PY);
  assert.equal(s.byHand('/ws'), undefined);
});

test('an overwrite right after selecting (the first-run migration) is undone, not taken for a choice', async () => {
  const api = new FakePythonApi();
  api.overwrites = ['/usr/bin/python3', '/usr/bin/python3'];
  const log: string[] = [];
  const s = pythonSelector(api, new FakeMemory(), log);
  assert.equal(await s.update('/ws', env().python), 'select');
  assert.equal(api.active.get('/ws'), VENV_PY);
  assert.equal(api.updates, 3);
  assert.equal(s.byHand('/ws'), undefined);
  assert.ok(log.some((l) => l.includes('replaced') && l.includes('selecting it again')), log.join('\n'));
});

test('gives up, saying so, when the target never keeps ours', async () => {
  const api = new FakePythonApi();
  api.overwrites = Array(10).fill('/usr/bin/python3');
  const log: string[] = [];
  await pythonSelector(api, new FakeMemory(), log).update('/ws', env().python);
  assert.equal(api.updates, 4);
  assert.ok(log.some((l) => l.includes('giving up')), log.join('\n'));
});

test('a change after ours settled is a choice by hand: kept on the next start and when the environment changes', async () => {
  const api = new FakePythonApi();
  const memory = new FakeMemory();
  const changes: number[] = [];
  const target = pythonExtensionTarget(api, (f) => f);
  const s = new InterpreterSelector(() => target, memory, () => {}, { settleMs: 0, sleep: async () => {}, onDidChangeChoice: () => changes.push(1) });
  await s.update('/ws', env().python);
  api.set('/ws', '/usr/bin/python3.12'); // the user, in the picker
  await new Promise((r) => setImmediate(r));
  assert.equal(s.byHand('/ws'), '/usr/bin/python3.12');
  assert.equal(changes.length, 1);
  // The next start (a new selector, the same memory): kept.
  const again = pythonSelector(api, memory);
  assert.equal(await again.update('/ws', env().python), 'keep-user-choice');
  assert.equal(await again.update('/ws', { ...env().python!, interpreter: '/nix/store/new/bin/python3' }), 'keep-user-choice');
  assert.equal(api.active.get('/ws'), '/usr/bin/python3.12');
  // Back to the dev shell's by hand: no longer "by hand".
  api.set('/ws', VENV_PY);
  await new Promise((r) => setImmediate(r));
  assert.equal(again.byHand('/ws'), undefined);
});

test('changes while selecting, or before we ever selected, are not choices by hand', async () => {
  const api = new FakePythonApi();
  const s = pythonSelector(api);
  api.set('/ws', '/usr/bin/python3.12'); // before any selection of ours
  await s.update('/ws', env().python);
  assert.equal(s.byHand('/ws'), undefined);
  assert.equal(api.active.get('/ws'), VENV_PY);
  s.dispose();
  assert.equal(api.listeners.length, 0);
});

test('a new store path replaces the one we selected', async () => {
  const api = new FakePythonApi();
  const s = pythonSelector(api);
  const store = (p: string) => ({ ...env().python!, interpreter: p, venv: null });
  await s.update('/ws', store('/nix/store/aaa-python3/bin/python3'));
  assert.equal(await s.update('/ws', store('/nix/store/bbb-python3/bin/python3')), 'select');
  assert.equal(api.active.get('/ws'), '/nix/store/bbb-python3/bin/python3');
});

/** A fake of the Python Environments extension: resolves `…/python3` to its environment's `…/python`. */
class FakeEnvsApi implements EnvsApi {
  current = new Map<string, EnvsEnvironment>();
  listeners: ((e: { uri?: { fsPath: string }; new?: EnvsEnvironment }) => void)[] = [];
  unresolvable = new Set<string>();
  async resolveEnvironment(context: unknown) {
    const p = (context as { fsPath: string }).fsPath;
    if (this.unresolvable.has(p)) return undefined;
    const executable = p.replace(/python3$/, 'python');
    return { environmentPath: { fsPath: executable }, execInfo: { run: { executable } } };
  }
  async setEnvironment(scope: unknown, environment?: EnvsEnvironment) {
    const folder = (scope as { fsPath: string }).fsPath;
    if (environment) this.current.set(folder, environment);
    for (const l of this.listeners) l({ uri: { fsPath: folder }, new: environment });
  }
  async getEnvironment(scope: unknown) {
    return this.current.get((scope as { fsPath: string }).fsPath);
  }
  onDidChangeEnvironment(l: (e: { uri?: { fsPath: string }; new?: EnvsEnvironment }) => void) {
    this.listeners.push(l);
    return { dispose: () => undefined };
  }
}

test('the Environments extension: the interpreter becomes the folder environment, under the name it gives it', async () => {
  const api = new FakeEnvsApi();
  assert.ok(isEnvsApi(api));
  assert.ok(!isEnvsApi(undefined));
  assert.ok(!isEnvsApi({ getEnvironment() {} }));
  const target = envsExtensionTarget(api, (fsPath) => ({ fsPath }));
  const log: string[] = [];
  const s = new InterpreterSelector(() => target, new FakeMemory(), (m) => log.push(m), { settleMs: 0, sleep: async () => {} });
  const store = { ...env().python!, interpreter: '/nix/store/aaa-python3/bin/python3', venv: null };
  assert.equal(await s.update('/ws', store), 'select');
  assert.equal(await target.current('/ws'), '/nix/store/aaa-python3/bin/python');
  // The next time: already, not selected again under another name.
  assert.equal(await s.update('/ws', store), 'already');
  assert.ok(!log.some((l) => l.includes('giving up')), log.join('\n'));
  // By hand, after ours: kept.
  await api.setEnvironment({ fsPath: '/ws' }, { execInfo: { run: { executable: '/usr/bin/python3' } } });
  await new Promise((r) => setImmediate(r));
  assert.equal(s.byHand('/ws'), '/usr/bin/python3');
  // An interpreter it cannot resolve is an error with a clear message.
  api.unresolvable.add('/nix/store/zzz/bin/python3');
  await assert.rejects(target.select('/ws', '/nix/store/zzz/bin/python3'), /cannot resolve \/nix\/store\/zzz/);
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

test('settlesWithin: a resolved, rejected or missing promise settles; a pending one does not', async () => {
  assert.equal(await settlesWithin(Promise.resolve(), 1000), true);
  assert.equal(await settlesWithin(Promise.reject(new Error('no')), 1000), true);
  assert.equal(await settlesWithin(undefined, 1000), true);
  assert.equal(await settlesWithin(new Promise(() => {}), 1), false);
});
