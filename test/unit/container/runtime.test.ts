import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runtimeCommand, runKeepsContainer } from '../../../src/container/runtime.js';
import { cgroupsPathFor } from '../../../src/container/cgroups.js';
import { destroyLiveContainers, onInterrupt, track, untrack } from '../../../src/container/live.js';

test('runc is called directly', () => {
  assert.equal(runtimeCommand('runc', ['state', 'x']), { file: 'runc', args: ['state', 'x'] });
  assert.is(runKeepsContainer('runc'), true);
});

test('crun runs in a private mount namespace without the cgroup2 mount', () => {
  const cmd = runtimeCommand('crun', ['run', '--bundle', '/b', 'id']);
  assert.is(cmd.file, 'unshare');
  assert.equal(cmd.args.slice(0, 2), ['-m', 'sh']);
  assert.is(cmd.args[3], 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun "$@"');
  assert.equal(cmd.args.slice(4), ['crun', 'run', '--bundle', '/b', 'id'], 'arguments pass through "$@" unquoted by no shell');
  assert.is(runKeepsContainer('crun'), false);
});

test('each container has its own parent cgroup under dropship/', () => {
  assert.is(cgroupsPathFor('dropship-abc'), '/dropship/dropship-abc/init');
});

test('live containers are destroyed once, untracked ones not at all', async () => {
  const destroyed: string[] = [];
  const a = { destroy: async () => void destroyed.push('a') };
  const b = { destroy: async () => void destroyed.push('b') };
  track(a);
  track(b);
  untrack(b);
  await destroyLiveContainers();
  assert.equal(destroyed, ['a']);
  untrack(a);
});

test('interrupt cleanups run after the containers are destroyed, until unregistered', async () => {
  const order: string[] = [];
  const container = { destroy: async () => void order.push('container') };
  track(container);
  const forget = onInterrupt(async () => void order.push('network'));
  await destroyLiveContainers();
  assert.equal(order, ['container', 'network']);
  untrack(container);
  forget();
  await destroyLiveContainers();
  assert.equal(order, ['container', 'network']);
});

test.run();
