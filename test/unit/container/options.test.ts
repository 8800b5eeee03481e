import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { normalizeContainerOptions, resolveUser } from '../../../src/container/options.js';
import { DropshipError } from '../../../src/errors.js';

const minimal = { lowerDirs: ['/layers/stack'], args: ['true'] };

test('defaults: generated id, vcap, env, limits', () => {
  const o = normalizeContainerOptions(minimal);
  assert.match(o.id, /^dropship-[0-9a-f]{16}$/);
  assert.equal(o.user, { uid: 2000, gid: 2000, additionalGids: [] });
  assert.is(o.env.HOME, '/home/vcap');
  assert.match(o.env.PATH!, /\/bin/);
  assert.equal(o.limits, { memoryBytes: undefined, cpuShares: 1024, pids: 1024, nofile: 16384 });
  assert.is(o.runtime, 'runc');
  assert.is(o.stdin, 'ignore');
  assert.equal(o.idMap.uidMap, [{ containerID: 0, hostID: 1_000_000, size: 65536 }]);
  assert.is.not(normalizeContainerOptions(minimal).id, o.id);
});

test('cpu shares derive from memory unless given', () => {
  assert.is(normalizeContainerOptions({ ...minimal, limits: { memoryBytes: 1024 * 1024 * 1024 } }).limits.cpuShares, 128);
  assert.is(normalizeContainerOptions({ ...minimal, limits: { memoryBytes: 1024 * 1024 * 1024, cpuShares: 7 } }).limits.cpuShares, 7);
});

test('users', () => {
  assert.equal(resolveUser('root'), { uid: 0, gid: 0, additionalGids: [] });
  assert.equal(resolveUser({ uid: 5, gid: 6 }), { uid: 5, gid: 6, additionalGids: [] });
  assert.is(normalizeContainerOptions({ ...minimal, user: 'root' }).env.HOME, '/root');
  assert.is(normalizeContainerOptions({ ...minimal, env: { HOME: '/x' } }).env.HOME, '/x');
});

function rejects(options: Parameters<typeof normalizeContainerOptions>[0], pattern: RegExp) {
  try {
    normalizeContainerOptions(options);
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as DropshipError).code, 'INVALID_CONTAINER_OPTION');
    assert.match((error as DropshipError).message, pattern);
  }
}

test('invalid options name the option and the value', () => {
  rejects({ ...minimal, lowerDirs: [] }, /^container option lowerDirs: \[\] is not valid$/);
  rejects({ ...minimal, lowerDirs: ['relative'] }, /lowerDirs/);
  rejects({ ...minimal, args: [] }, /args/);
  rejects({ ...minimal, id: '../escape' }, /^container option id: "\.\.\/escape" is not valid$/);
  rejects({ ...minimal, user: { uid: 70000, gid: 0 } }, /user\.uid: 70000/);
  rejects({ ...minimal, limits: { memoryBytes: 1024 } }, /limits\.memoryBytes: 1024/);
  rejects({ ...minimal, limits: { pids: 0 } }, /limits\.pids: 0/);
  rejects({ ...minimal, mounts: [{ source: 'x', destination: '/y' }] }, /mounts/);
});

test.run();
