import '../../helpers/env.js';
import { existsSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTask, type TaskResult } from '../../../src/sandbox/index.js';
import { containerLeftovers } from '../../../src/container/index.js';

async function task(options: Partial<Parameters<typeof runTask>[0]> & { args: string[] }): Promise<TaskResult & { out: string; err: string }> {
  let out = '';
  let err = '';
  const result = await runTask({
    stack: 'tiny',
    onStdout: (chunk) => (out += chunk.toString()),
    onStderr: (chunk) => (err += chunk.toString()),
    ...options,
  });
  assert.equal(await containerLeftovers(result.containerId), [], 'nothing left behind');
  return { ...result, out, err };
}

test('a task runs as vcap in its home and passes its exit code through', async () => {
  const result = await task({ args: ['/bin/sh', '-c', 'id -u; pwd; echo oops >&2; exit 3'] });
  assert.is(result.out, '2000\n/home/vcap\n');
  assert.is(result.err, 'oops\n');
  assert.is(result.exitCode, 3);
  assert.is(result.oomKilled, false);
  assert.is(result.timedOut, false);
  assert.is(result.message, undefined);
});

test('--user root, env, the pids limit and the disk quota reach the container', async () => {
  const result = await task({ args: ['/bin/sh', '-c', 'id -u; echo $GREETING; cat /sys/fs/cgroup/pids/pids.max; df -k / | tail -1'], user: 'root', env: { GREETING: 'hi' }, pids: 77, disk: '32M' });
  const lines = result.out.trim().split('\n');
  assert.equal(lines.slice(0, 3), ['0', 'hi', '77']);
  const totalKiB = Number(lines[3]!.split(/\s+/)[1]);
  assert.ok(totalKiB > 16 * 1024 && totalKiB <= 32 * 1024, `root filesystem of ${totalKiB} KiB`);
  assert.is(result.exitCode, 0);
});

test('the memory limit is set with swap equal to it', async () => {
  const result = await task({ args: ['/bin/sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes /sys/fs/cgroup/cpu/cpu.shares'], memory: '256M' });
  assert.is(result.out, `${256 * 1024 * 1024}\n${256 * 1024 * 1024}\n32\n`);
});

test('out of memory: exit 137 and a message naming the limit', async () => {
  const result = await task({ args: ['/bin/dd', 'if=/dev/zero', 'of=/dev/null', 'bs=128M', 'count=1'], memory: '64M' });
  assert.is(result.exitCode, 137);
  assert.is(result.oomKilled, true);
  assert.is(result.message, 'task `/bin/dd if=/dev/zero of=/dev/null bs=128M count=1` was killed: out of memory (limit 64M)');
});

test('a timeout kills the task and says so', async () => {
  const result = await task({ args: ['/bin/sleep', '30'], timeout: '300ms' });
  assert.is(result.timedOut, true);
  assert.is(result.exitCode, 137);
  assert.is(result.oomKilled, false);
  assert.is(result.message, 'task `/bin/sleep 30` timed out after 0.3s and was killed');
});

const hasCrun = ['/usr/bin/crun', '/usr/local/bin/crun'].some(existsSync);

test('crun runs the same hardened task (in a private mount namespace on hybrid cgroups)', async () => {
  if (!hasCrun) return console.log('  (skipped: crun is not installed; apt-get install crun)');
  const result = await task({ runtime: 'crun', args: ['/bin/sh', '-c', 'id -u; grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; cat /proc/self/uid_map; exit 4'] });
  assert.is(result.exitCode, 4);
  assert.equal(result.out.split('\n').map((l) => l.trim().split(/\s+/).join(' ')).filter(Boolean), [
    '2000',
    'CapEff: 0000000000000000',
    'CapBnd: 00000000a80425fb',
    'NoNewPrivs: 1',
    'Seccomp: 2',
    '0 1000000 65536',
  ]);
});

test('crun: out of memory is reported too', async () => {
  if (!hasCrun) return console.log('  (skipped: crun is not installed; apt-get install crun)');
  const result = await task({ runtime: 'crun', args: ['/bin/dd', 'if=/dev/zero', 'of=/dev/null', 'bs=128M', 'count=1'], memory: '64M' });
  assert.is(result.exitCode, 137);
  assert.is(result.oomKilled, true);
});

test.run();
