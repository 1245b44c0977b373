import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EnvironmentVariableMutatorOptions } from 'vscode';
import { addedEntries, AFTER_RC_FILES, Applier, Collection, plan, survivesShellIntegration } from '../../src/environment';
import { env, HOST_PATH } from './fixtures';

/** A fake `EnvironmentVariableCollection` recording its mutations. */
class FakeCollection implements Collection {
  persistent = true;
  description: string | undefined;
  vars = new Map<string, { type: 'replace' | 'prepend'; value: string; options?: EnvironmentVariableMutatorOptions }>();
  clears = 0;
  replace(name: string, value: string, options?: EnvironmentVariableMutatorOptions): void {
    this.vars.set(name, { type: 'replace', value, options });
  }
  prepend(name: string, value: string, options?: EnvironmentVariableMutatorOptions): void {
    this.vars.set(name, { type: 'prepend', value, options });
  }
  clear(): void {
    this.clears++;
    this.vars.clear();
  }
}

test('PATH is prepended with only what the dev shell adds; the rest is replaced', () => {
  const m = plan(env().set, HOST_PATH);
  assert.deepEqual(m.prepend, { PATH: '/home/me/project/.venv/bin:/nix/store/abc-python3-3.11.9/bin:' });
  assert.deepEqual(m.replace, { VIRTUAL_ENV: '/home/me/project/.venv', GREETING: 'hello' });
});

test("PATH that does not end with the host's: entries the host lacks, once each", () => {
  assert.deepEqual(addedEntries('/a:/usr/bin:/b:/a', '/usr/bin:/bin'), ['/a', '/b']);
  assert.deepEqual(addedEntries('/a:/b', ''), ['/a', '/b']);
  assert.deepEqual(addedEntries(HOST_PATH, HOST_PATH), []);
});

test('applying sets the variables, a description naming flake and shell, persistently', () => {
  const c = new FakeCollection();
  const applier = new Applier(HOST_PATH);
  assert.equal(applier.apply(c, env()), true);
  assert.equal(c.vars.get('VIRTUAL_ENV')?.type, 'replace');
  assert.equal(c.vars.get('PATH')?.type, 'prepend');
  assert.equal(c.persistent, true);
  assert.match(c.description ?? '', /devShells\.x86_64-linux\.default/);
  assert.match(c.description ?? '', /flake project/);
  // Unset variables cannot be expressed; nothing is set for them.
  assert.equal(c.vars.has('GONE'), false);
});

test("PATH is prepended again after the user's rc files; other variables only at process creation", () => {
  const c = new FakeCollection();
  new Applier(HOST_PATH).apply(c, env());
  assert.deepEqual(c.vars.get('PATH')?.options, AFTER_RC_FILES);
  assert.equal(AFTER_RC_FILES.applyAtProcessCreation, true);
  assert.equal(AFTER_RC_FILES.applyAtShellIntegration, true);
  // Default options: at process creation only, never through the shell integration scripts.
  assert.equal(c.vars.get('VIRTUAL_ENV')?.options, undefined);
  assert.equal(c.vars.get('GREETING')?.options, undefined);
});

test('a PATH the shell integration scripts would mangle is set at process creation only', () => {
  assert.equal(survivesShellIntegration('/nix/store/abc-python3/bin:/home/me/.venv/bin:'), true);
  assert.equal(survivesShellIntegration('/odd\\dir:'), false);
  assert.equal(survivesShellIntegration('/odd\ndir:'), false);
  const c = new FakeCollection();
  new Applier(HOST_PATH).apply(c, env({ set: { PATH: `/odd\\bin:${HOST_PATH}` } }));
  assert.equal(c.vars.get('PATH')?.value, '/odd\\bin:');
  assert.equal(c.vars.get('PATH')?.options, undefined);
});

test('the same environment again changes nothing (terminals are not marked for relaunch)', () => {
  const c = new FakeCollection();
  const applier = new Applier(HOST_PATH);
  applier.apply(c, env());
  assert.equal(applier.apply(c, env({ fromCache: true })), false);
  assert.equal(c.clears, 1);
});

test('a variable no longer set is dropped; stale keeps the last good one and says so', () => {
  const c = new FakeCollection();
  const applier = new Applier(HOST_PATH);
  applier.apply(c, env());
  const { GREETING: _dropped, ...rest } = env().set;
  applier.apply(c, env({ state: 'stale', error: 'flake.nix changed', set: rest }));
  assert.equal(c.vars.has('GREETING'), false);
  assert.equal(c.vars.get('VIRTUAL_ENV')?.value, '/home/me/project/.venv');
  assert.match(c.description ?? '', /stale: flake\.nix changed/);
});

test('nothing usable (realising, failed, untrusted) clears the collection', () => {
  for (const state of ['realising', 'failed', 'untrusted'] as const) {
    const c = new FakeCollection();
    const applier = new Applier(HOST_PATH);
    applier.apply(c, env());
    assert.equal(applier.apply(c, env({ state, set: {}, python: null })), true);
    assert.equal(c.vars.size, 0, state);
    assert.equal(c.description, undefined);
  }
});
