import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseQuota } from '../../../src/util/units.js';
import { normalizeRunOptions } from '../../../src/apps/run-options.js';
import { planPush } from '../../../src/push/push-options.js';
import { parseManifest } from '../../../src/push/manifest.js';

const MiB = 1024 * 1024;

test('parseQuota: a bare number is megabytes, units as cf writes them, a JS number is bytes', () => {
  assert.is(parseQuota('256', '-m'), 256 * MiB);
  assert.is(parseQuota(' 64 ', '-m'), 64 * MiB);
  assert.is(parseQuota('256M', '-m'), 256 * MiB);
  assert.is(parseQuota('1G', '-k'), 1024 * MiB);
  assert.is(parseQuota('512MB', '-m'), 512 * MiB);
  assert.is(parseQuota(32 * MiB, '-m'), 32 * MiB);
});

test('parseQuota: below 16M, zero, negative and junk are refused naming the flag', () => {
  for (const bad of ['0', '15', '1K', '-5', 'lots', '']) {
    assert.throws(() => parseQuota(bad, '-m'), (e: Error) => e.message.startsWith("-m: '"), bad);
  }
});

test('-m 256 means the same in push, run and the manifest', async () => {
  const [plan] = planPush({ path: '.', memory: '256', disk: '512' }, undefined, process.cwd());
  const spec = await normalizeRunOptions({ image: 'x:1', name: 'x', memory: '256', disk: '512' });
  const manifest = parseManifest('applications:\n- name: x\n  memory: 256\n  disk_quota: 512\n');
  assert.is(plan!.memoryBytes, 256 * MiB);
  assert.is(spec.processes[0]!.memoryBytes, plan!.memoryBytes);
  assert.is(manifest.applications[0]!.memoryBytes, plan!.memoryBytes);
  assert.is(plan!.diskBytes, 512 * MiB);
  assert.is(spec.processes[0]!.diskBytes, plan!.diskBytes);
  assert.is(manifest.applications[0]!.diskBytes, plan!.diskBytes);
});

test.run();
