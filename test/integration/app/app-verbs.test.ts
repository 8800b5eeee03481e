import '../../helpers/env.js';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { uniqueName, isRoot } from '../../helpers/env.js';
import { ensureTestImage } from './fixture.js';
import { dropship, eventually, leftovers, removeApp } from './helpers.js';

const app = uniqueName('am-verbs');
let ready = false;
let setup = '';

// uvu swallows a failing hook: the first test reports what went wrong instead.
test.before(async () => {
  if (!isRoot) return;
  const image = await ensureTestImage();
  const run = await dropship('run', image, '--name', app, '-d', '-m', '64', '-e', 'FROM_RUN=yes');
  ready = run.exitCode === 0;
  setup = `${run.stdout}\n${run.stderr}`;
});

test.after(async () => {
  await removeApp(app);
});

const sshTemps = async () => (await readdir(tmpdir())).filter((e) => e.startsWith('dropship-ssh-'));

test('run -m 64 means 64M, as push and scale read it', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  assert.ok(ready, `dropship run failed: ${setup}`);
  const ps = JSON.parse((await dropship('ps', app, '--json')).stdout)[0];
  assert.is(ps.processes[0].memoryBytes, 64 * 1024 * 1024);
});

test("ssh -c runs inside the instance as vcap, with its env, no capabilities, seccomp, no_new_privs and the instance's cgroup; the exit code passes through", async () => {
  if (!ready) return console.log('skip: needs root for runc');
  const before = await sshTemps();
  const script = [
    'id -u',
    'echo "index=$INSTANCE_INDEX run=$FROM_RUN limit=$MEMORY_LIMIT"',
    'grep -E "^(CapEff|CapPrm|NoNewPrivs|Seccomp):" /proc/self/status',
    '[ "$(cat /proc/self/cgroup | grep memory)" = "$(cat /proc/1/cgroup | grep memory)" ] && echo same-cgroup',
    'exit 5',
  ].join('; ');
  const ssh = await dropship('ssh', app, '-c', script);
  assert.is(ssh.exitCode, 5, ssh.stderr);
  const lines = ssh.stdout.trim().split('\n').map((l) => l.replace(/\s+/g, ' '));
  assert.equal(lines, [
    '2000',
    'index=0 run=yes limit=64m',
    'CapPrm: 0000000000000000',
    'CapEff: 0000000000000000',
    'NoNewPrivs: 1',
    'Seccomp: 2',
    'same-cgroup',
  ]);
  assert.equal(await sshTemps(), before, 'the process file with the env is removed');
});

test('ssh to an instance that does not exist fails with error and hint', async () => {
  if (!ready) return console.log('skip: needs root for runc');
  const ssh = await dropship('ssh', app, '-i', '3', '-c', 'true');
  assert.is(ssh.exitCode, 1);
  assert.match(ssh.stderr, `error: ssh ${app}: web instance 3 is not running`);
  assert.match(ssh.stderr, 'hint:');
});

test('set-env / unset-env make releases with a reason and say to restart; env shows them; platform names are refused', async () => {
  if (!ready) return console.log('skip: needs root for runc');
  const set = await dropship('set-env', app, 'GREETING', 'hello there');
  assert.is(set.exitCode, 0, set.stderr);
  assert.match(set.stdout, `set GREETING: release 2 of ${app}`);
  assert.match(set.stdout, `dropship restart ${app}`);
  assert.equal(JSON.parse((await dropship('env', app, '--json')).stdout), { FROM_RUN: 'yes', GREETING: 'hello there' });
  const same = await dropship('set-env', app, 'GREETING', 'hello there');
  assert.match(same.stdout, 'nothing changed');
  const port = await dropship('set-env', app, 'PORT', '9000');
  assert.is(port.exitCode, 1);
  assert.match(port.stderr, `error: set-env ${app}: PORT is set by the platform`);
  const before = await dropship('ssh', app, '-c', 'echo "g=$GREETING"');
  assert.is(before.stdout.trim(), 'g=', 'running instances keep their release until restart');
  const restart = await dropship('restart', app);
  assert.is(restart.exitCode, 0, restart.stderr);
  const after = await eventually(async () => {
    const r = await dropship('ssh', app, '-c', 'echo "g=$GREETING"');
    return r.exitCode === 0 && r.stdout.trim();
  }, 'ssh after restart');
  assert.is(after, 'g=hello there');
  const unset = await dropship('unset-env', app, 'FROM_RUN');
  assert.match(unset.stdout, `unset FROM_RUN: release 3 of ${app}`);
  const releases = JSON.parse((await dropship('releases', app, '--json')).stdout) as Array<{ version: number; reason: string; current: boolean }>;
  assert.equal(releases.map((r) => [r.version, r.reason, r.current]).slice(1), [[2, 'set-env GREETING', false], [3, 'unset-env FROM_RUN', true]]);
  assert.equal(JSON.parse((await dropship('env', app, '--json')).stdout), { GREETING: 'hello there' });
});

test('run-task APP --name records the task; tasks lists state, exit code and duration; logs are tagged', async () => {
  if (!ready) return console.log('skip: needs root for runc');
  const task = await dropship('run-task', app, '--name', 'migrate', '--', '/bin/sh', '-c', 'echo migrating; echo warn >&2; exit 2');
  assert.is(task.exitCode, 2, task.stderr);
  const ok = await dropship('run-task', app, '--name', 'seed', '--', '/bin/sh', '-c', 'echo seeded');
  assert.is(ok.exitCode, 0, ok.stderr);
  const tasks = JSON.parse((await dropship('tasks', app, '--json')).stdout) as Array<{ name: string; state: string; exitCode: number; durationMs: number }>;
  assert.equal(tasks.map((t) => [t.name, t.state, t.exitCode]), [['migrate', 'FAILED', 2], ['seed', 'SUCCEEDED', 0]]);
  assert.ok(tasks.every((t) => t.durationMs >= 0));
  const table = await dropship('tasks', app);
  assert.match(table.stdout, /migrate\s+FAILED\s+2/);
  const logs = (await dropship('tasks', app, '--logs', 'migrate')).stdout.trim().split('\n').map((l) => l.replace(/^\S+ /, ''));
  assert.equal(logs.sort(), [`[${app}/TASK/migrate/0] ERR warn`, `[${app}/TASK/migrate/0] OUT migrating`]);
  const bad = await dropship('run-task', app, '--name', '../x', '--', 'true');
  assert.is(bad.exitCode, 1);
  assert.match(bad.stderr, "error: run-task --name: '../x' is not a task name");
});

test('delete leaves nothing of the app, its tasks or its ssh sessions', async () => {
  if (!ready) return console.log('skip: needs root for runc');
  await removeApp(app);
  assert.equal(await leftovers(app), []);
});

test.run();
