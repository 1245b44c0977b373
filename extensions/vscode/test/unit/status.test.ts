import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activity, Item, present, StatusBar, Tasks } from '../../src/status';
import { env } from './fixtures';

const base = { server: 'running' as const, workspaceTrusted: true, hasFlake: true, enabled: true };

const must = (p: ReturnType<typeof present>) => {
  assert.ok(p);
  return p;
};

test('ready: the shell and the Python version', () => {
  const p = must(present({ ...base, env: env() }));
  assert.equal(p.text, '$(check) nix: default · Python 3.11.9');
  assert.match(p.tooltip, /Shell: devShells\.x86_64-linux\.default/);
  assert.match(p.tooltip, /Python: \/home\/me\/project\/\.venv\/bin\/python/);
  assert.equal(p.severity, undefined);
});

test('ready: an interpreter chosen by hand is named as such, with what the dev shell offers', () => {
  const p = must(present({ ...base, env: env(), pythonByHand: '/usr/bin/python3' }));
  assert.match(p.tooltip, /^Python: \/usr\/bin\/python3 \(chosen by hand; the dev shell offers \/home\/me\/project\/\.venv\/bin\/python\)$/m);
  const same = must(present({ ...base, env: env(), pythonByHand: '/home/me/project/.venv/bin/python' }));
  assert.match(same.tooltip, /^Python: \/home\/me\/project\/\.venv\/bin\/python$/m);
});

test('realising: with the progress percentage and message', () => {
  const tasks = [{ title: 'Realising the dev shell of project', message: 'building python3', percentage: 42.4 }];
  const p = must(present({ ...base, env: env({ state: 'realising', set: {}, python: null }), tasks }));
  assert.equal(p.text, '$(loading~spin) nix: realising 42%');
  assert.match(p.tooltip, /building python3/);
});

test('each progress token by itself: ending the index leaves the realisation', () => {
  const tasks = new Tasks();
  tasks.begin('r', 'Realising the dev shell of project', undefined, 10);
  tasks.begin('i', 'Indexing the packages of nixpkgs', 'batch 1 of 4', 25);
  tasks.report('r', 'building python3', 40);
  tasks.end('i');
  assert.deepEqual(tasks.all(), [{ title: 'Realising the dev shell of project', message: 'building python3', percentage: 40 }]);
  tasks.report('gone', 'ignored');
  assert.equal(tasks.all().length, 1);
});

test('the package index and a lock update are not shown as realising', () => {
  const index = { title: 'Indexing the packages of nixpkgs', message: 'batch 2 of 4', percentage: 50 };
  const lock = { title: 'Updating flake.lock of project' };
  const ready = must(present({ ...base, env: env(), tasks: [index, lock] }));
  assert.equal(ready.text, '$(check) nix: default · Python 3.11.9 · $(sync~spin) indexing the packages, updating flake.lock');
  assert.match(ready.tooltip, /Indexing the packages of nixpkgs: batch 2 of 4 \(50%\)/);
  assert.match(ready.tooltip, /Updating flake\.lock of project/);
  assert.doesNotMatch(ready.tooltip, /Realising/);
  // Realising one flake while the other work runs: the realisation's own percentage only.
  const realising = { title: 'Realising the dev shell of project', percentage: 10 };
  const both = must(present({ ...base, env: env({ state: 'realising', set: {}, python: null }), tasks: [index, realising] }));
  assert.equal(both.text, '$(loading~spin) nix: realising 10% · $(sync~spin) indexing the packages');
  // Another flake's realisation is not this one's.
  const other = { title: 'Realising the dev shell of elsewhere', percentage: 90 };
  const mine = must(present({ ...base, env: env({ state: 'realising', set: {}, python: null }), tasks: [other] }));
  assert.equal(mine.text, '$(loading~spin) nix: realising');
  assert.match(mine.tooltip, /Realising the dev shell of elsewhere \(90%\)/);
  assert.equal(activity('Updating flake.lock of project'), 'updating flake.lock');
});

test("the tooltip says whether terminals get PATH again after the rc files", () => {
  assert.match(must(present({ ...base, env: env() })).tooltip, /set again after your shell's rc files/);
  const off = must(present({ ...base, env: env(), shellIntegration: false }));
  assert.match(off.tooltip, /shell integration is off .* comes before the dev shell's entries/);
});

test('stale: why; updating while realising again', () => {
  const stale = must(present({ ...base, env: env({ state: 'stale', error: 'undefined variable missingThing' }) }));
  assert.equal(stale.text, '$(warning) nix: default · stale');
  assert.match(stale.tooltip, /missingThing/);
  assert.equal(stale.severity, 'warning');
  const updating = must(present({ ...base, env: env({ state: 'stale', error: 'realising again' }) }));
  assert.equal(updating.text, '$(loading~spin) nix: default · updating');
});

test('failed: why, as an error', () => {
  const p = must(present({ ...base, env: env({ state: 'failed', error: 'attribute missing', set: {}, python: null }) }));
  assert.equal(p.text, '$(error) nix: failed');
  assert.match(p.tooltip, /attribute missing/);
  assert.equal(p.severity, 'error');
});

test('untrusted: the flake, or the whole workspace', () => {
  assert.equal(present({ ...base, env: env({ state: 'untrusted', set: {} }) })?.text, '$(shield) nix: untrusted');
  const ws = must(present({ ...base, workspaceTrusted: false, env: env() }));
  assert.equal(ws.text, '$(shield) nix: untrusted');
  assert.match(ws.tooltip, /workspace is not trusted/);
});

test('the server missing or stopped says what to do', () => {
  assert.match(present({ ...base, server: 'missing', serverError: 'set flakeLsp.server.path' })?.tooltip ?? '', /flakeLsp\.server\.path/);
  assert.match(present({ ...base, server: 'stopped' })?.tooltip ?? '', /restart/);
});

test('the item shows the presentation, coloured by severity', () => {
  const item: Item & { shown: number } = {
    text: '',
    tooltip: '',
    backgroundColor: undefined,
    shown: 0,
    show() {
      this.shown++;
    },
    hide() {
      this.shown = 0;
    },
  };
  const bar = new StatusBar(item, (s) => ({ id: `statusBarItem.${s}Background` }) as never);
  bar.show({ ...base, env: env({ state: 'failed', error: 'x', set: {} }) });
  assert.equal(item.text, '$(error) nix: failed');
  assert.deepEqual(item.backgroundColor, { id: 'statusBarItem.errorBackground' });
  bar.show({ ...base, env: env() });
  assert.equal(item.backgroundColor, undefined);
  assert.equal(item.shown, 2);
  // No flake in the workspace: hidden.
  bar.show({ ...base, hasFlake: false });
  assert.equal(item.shown, 0);
});

test('off when the environment is disabled; starting before the first report', () => {
  assert.equal(present({ ...base, enabled: false })?.text, '$(circle-slash) nix: off');
  assert.equal(present({ ...base })?.text, '$(loading~spin) nix');
  assert.equal(present({ ...base, hasFlake: false }), undefined);
});
