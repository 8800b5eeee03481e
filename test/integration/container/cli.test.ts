import '../../helpers/env.js';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { containerLeftovers, listContainers } from '../../../src/container/index.js';
import { TASK_LABEL } from '../../../src/sandbox/index.js';
import { apparmorUnavailableReason } from '../../../src/security/apparmor.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const dropship = (args: string[], input = '', env: Record<string, string> = {}) => execa('node', ['--import', 'tsx', MAIN, ...args], { reject: false, input, env });

async function taskIds(): Promise<Set<string>> {
  return new Set((await listContainers()).filter((c) => c.labels[TASK_LABEL] !== undefined).map((c) => c.id));
}

test('run-task passes stdin, stdout, stderr and the exit code through', async () => {
  const result = await dropship(['run-task', '--stack', 'tiny', '--', 'sh', '-c', 'cat; echo to-stderr >&2; exit 7'], 'hello from stdin\n');
  assert.is(result.stdout, 'hello from stdin');
  assert.is(result.stderr, 'to-stderr');
  assert.is(result.exitCode, 7);
});

test('run-task: out of memory exits 137 with a clear message', async () => {
  const result = await dropship(['run-task', '--stack', 'tiny', '--memory', '64M', '--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=128M', 'count=1']);
  assert.is(result.exitCode, 137);
  assert.match(String(result.stderr), 'dropship: task `dd if=/dev/zero of=/dev/null bs=128M count=1` was killed: out of memory (limit 64M)');
});

test('run-task: bad flags name the flag and the fix', async () => {
  const noStack = await dropship(['run-task', '--', 'true']);
  assert.is(noStack.exitCode, 1);
  assert.match(String(noStack.stderr), 'error: run-task: --stack is missing');
  assert.match(String(noStack.stderr), 'hint: ');
  const badUser = await dropship(['run-task', '--stack', 'tiny', '--user', 'admin', '--', 'true']);
  assert.match(String(badUser.stderr), "error: --user: 'admin' is not one of vcap, root");
  const badMemory = await dropship(['run-task', '--stack', 'tiny', '--memory', 'lots', '--', 'true']);
  assert.match(String(badMemory.stderr), "error: -m: 'lots' is not a size");
  const stackFlagsOnApp = await dropship(['run-task', 'some-app', '--pids', '5', '--user', 'root', '--', 'true']);
  assert.is(stackFlagsOnApp.exitCode, 1);
  assert.match(String(stackFlagsOnApp.stderr), 'error: run-task some-app: --user, --pids only apply to a task on a bare stack');
});

test('with DROPSHIP_DEBUG, run-task says whether AppArmor confines the task', async () => {
  const reason = await apparmorUnavailableReason();
  const result = await dropship(['run-task', '--stack', 'tiny', '--', 'true'], '', { DROPSHIP_DEBUG: '1' });
  assert.is(result.exitCode, 0, String(result.stderr));
  const expected = reason ? `dropship: AppArmor not enforced (${reason});` : 'dropship: AppArmor profile dropship-default enforced';
  assert.match(String(result.stderr), expected);
  const quiet = await dropship(['run-task', '--stack', 'tiny', '--', 'true'], '', { DROPSHIP_DEBUG: '' });
  assert.not.match(String(quiet.stderr), 'AppArmor');
});

test('Ctrl-C removes the running task container', async () => {
  const before = await taskIds();
  const child = execa('node', ['--import', 'tsx', MAIN, 'run-task', '--stack', 'tiny', '--', 'sh', '-c', 'echo ready; exec sleep 60'], { reject: false, buffer: false });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.catch(reject);
  });
  const started = [...(await taskIds())].filter((id) => !before.has(id));
  assert.is(started.length, 1, 'one new task container');
  child.kill('SIGINT');
  const result = await child;
  assert.is(result.exitCode, 130);
  assert.equal(await containerLeftovers(started[0]!), []);
});

test.run();
