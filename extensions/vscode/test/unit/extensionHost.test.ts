import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Env, HostEnvironment } from '../../src/extensionHost';
import { env } from './fixtures';

test('the dev shell goes into the process environment and comes out as it was', () => {
  const target: Env = { PATH: '/usr/bin', GONE: 'here before', KEEP: 'mine' };
  const host = new HostEnvironment(target);
  assert.equal(host.apply(env()), true);
  assert.equal(target.VIRTUAL_ENV, '/home/me/project/.venv');
  assert.equal(target.GREETING, 'hello');
  assert.match(target.PATH ?? '', /^\/home\/me\/project\/\.venv\/bin:/);
  assert.equal('GONE' in target, false, 'what the dev shell unsets is removed');
  assert.equal(target.KEEP, 'mine');
  assert.equal(host.apply(env({ fromCache: true })), false, 'the same environment again changes nothing');
  assert.equal(host.apply(undefined), true);
  assert.deepEqual(target, { PATH: '/usr/bin', GONE: 'here before', KEEP: 'mine' });
  assert.equal(host.current(), '');
});

test('a changed environment replaces the last one without leaving its variables', () => {
  const target: Env = { PATH: '/usr/bin' };
  const host = new HostEnvironment(target);
  host.apply(env());
  const before = host.current();
  host.apply(env({ set: { PATH: '/nix/store/x/bin:/usr/bin', OTHER: '1' }, unset: [] }));
  assert.notEqual(host.current(), before);
  assert.equal(target.OTHER, '1');
  assert.equal('GREETING' in target, false);
  assert.equal('VIRTUAL_ENV' in target, false);
  host.apply(undefined);
  assert.deepEqual(target, { PATH: '/usr/bin' });
});
