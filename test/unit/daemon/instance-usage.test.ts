import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instanceUsage } from '../../../src/daemon/instance-usage.js';

/** The v1 cgroup dir of this process for `controller`, read as the kernel reports it. */
async function ownCgroup(controller: string): Promise<string | undefined> {
  const line = (await readFile('/proc/self/cgroup', 'utf8')).split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
  return line && `/sys/fs/cgroup/${controller}${line.split(':').slice(2).join(':')}`;
}

test('usage reads memory and CPU from the cgroups the pid is in; a bundle without a quota disk has no disk figure', async () => {
  const memory = await ownCgroup('memory');
  const cpu = await ownCgroup('cpuacct');
  if (!memory || !cpu) return console.log('skip: no v1 memory and cpuacct cgroups');
  const bundle = await mkdtemp(join(tmpdir(), 'dropship-usage-'));
  try {
    const cpuBefore = Number(await readFile(join(cpu, 'cpuacct.usage'), 'utf8'));
    const usage = await instanceUsage(process.pid, bundle);
    const cpuAfter = Number(await readFile(join(cpu, 'cpuacct.usage'), 'utf8'));
    // CPU time only grows: the figure lies between two reads of the same file around it.
    assert.ok(usage.cpuNanos! >= cpuBefore && usage.cpuNanos! <= cpuAfter, `${usage.cpuNanos} within [${cpuBefore}, ${cpuAfter}]`);
    assert.ok(Number.isInteger(usage.memoryBytes) && usage.memoryBytes! > 0, `memory ${usage.memoryBytes}`);
    assert.is(usage.diskUsedBytes, undefined, 'no disk mounted in the bundle: nothing is claimed');
  } finally {
    await rm(bundle, { recursive: true, force: true });
  }
});

test('a pid that is gone has no figures rather than an error', async () => {
  assert.equal(await instanceUsage(2 ** 30, '/nonexistent/dropship-bundle'), {});
});

test.run();
