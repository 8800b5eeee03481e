import '../../helpers/env.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { daemonPaths } from '../../../src/apps/index.js';
import { instanceDirs } from '../../../src/daemon/paths.js';
import { isRoot, uniqueName } from '../../helpers/env.js';
import { ensureTestImage } from '../app/fixture.js';
import { dropship, eventually, httpGet, leftovers, removeApp } from '../app/helpers.js';
import { alive, daemonsOfStore, freePort, instances, killDaemon9, pidFile, pollingClient, runtimeState, stopDaemon } from './helpers.js';

const test = suite('daemon');
const app = uniqueName('dmn');
let hostPort = 0;

test.before(async () => {
  if (!isRoot) return;
  const image = await ensureTestImage();
  // A port of its own, far from where other stores' pools start on this shared host.
  const run = await dropship('run', image, '--name', app, '-d', '-i', '2', '-p', String(await freePort()), '--json');
  assert.is(run.exitCode, 0, run.stderr);
  hostPort = JSON.parse(run.stdout).hostPort;
});

test.after(async () => {
  if (!isRoot) return;
  await removeApp(app);
  assert.equal(await leftovers(app), []);
});

test('kill -9 of the daemon under a polling client: 0 failed requests, 0 restarts, the same containers and pids adopted, old logs kept', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const before = await instances(app);
  assert.equal(before.map((i) => i.state), ['running', 'running']);
  const client = pollingClient(hostPort);
  await eventually(async () => (await httpGet(hostPort)).status === 200, 'a first answer');
  const dead = await killDaemon9();
  // Every dropship process is gone now (the CLI exited long ago); the kernel keeps forwarding.
  assert.equal(await daemonsOfStore(), []);
  for (const i of before) assert.is((await runtimeState(i.containerId!))?.status, 'running', `${i.containerId} runs on`);
  for (let n = 0; n < 20; n++) assert.is((await httpGet(hostPort)).status, 200, 'served with no daemon');
  const after = await instances(app); // starts a new daemon, which adopts
  const { ok, failed } = await client.stop();
  const daemon = await pidFile();
  assert.ok(daemon !== undefined && daemon !== dead && alive(daemon), 'a new daemon runs');
  assert.equal(failed, [], 'no request failed');
  assert.ok(ok > 20, `the client got answers (${ok})`);
  assert.equal(after.map((i) => [i.containerId, i.pid, i.restarts]), before.map((i) => [i.containerId, i.pid, 0]));
  await eventually(async () => (await instances(app)).every((i) => i.state === 'running'), 'adopted instances healthy');
  const events = JSON.parse((await dropship('events', app, '--json')).stdout) as Array<{ type: string; message: string }>;
  assert.is(events.filter((e) => e.type === 'instance-adopt').length >= 2, true);
  assert.not.ok(events.some((e) => e.type === 'crash'), 'nothing crashed');
  const logs = (await dropship('logs', app, '--recent')).stdout;
  assert.match(logs, /\[APP\/PROC\/WEB\/0\] OUT web instance 0 listening on 8080/);
  assert.match(logs, /\[APP\/PROC\/WEB\/1\] OUT web instance 1 listening on 8080/);
});

test('daemon stop leaves every instance running and serving; status says it is not running', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const before = await instances(app);
  await stopDaemon();
  assert.equal(await daemonsOfStore(), []);
  const status = await dropship('daemon', 'status', '--json');
  assert.is(status.exitCode, 3);
  assert.is(JSON.parse(status.stdout).running, false);
  for (const i of before) assert.is((await runtimeState(i.containerId!))?.status, 'running');
  const seen = new Set<string>();
  // The data path picks at random (iptables statistic): 40 requests miss one of 2 with odds 2^-39.
  for (let n = 0; n < 40; n++) seen.add((await httpGet(hostPort)).body.trim());
  assert.equal([...seen].sort(), ['instance 0', 'instance 1']);
  const started = await dropship('daemon', 'start');
  assert.is(started.exitCode, 0, started.stderr);
  assert.match(started.stdout, /^daemon started \(pid \d+\)/);
  const after = await instances(app);
  assert.equal(after.map((i) => i.containerId), before.map((i) => i.containerId));
});

test('two `daemon start` at once leave exactly one daemon', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  await stopDaemon();
  const [a, b] = await Promise.all([dropship('daemon', 'start', '--json'), dropship('daemon', 'start', '--json')]);
  assert.is(a.exitCode, 0, a.stderr);
  assert.is(b.exitCode, 0, b.stderr);
  const pids = [JSON.parse(a.stdout).pid, JSON.parse(b.stdout).pid];
  assert.is(pids[0], pids[1], 'both name the same daemon');
  assert.equal(await daemonsOfStore(), [pids[0]]);
  assert.is(await pidFile(), pids[0]);
  const status = JSON.parse((await dropship('daemon', 'status', '--json')).stdout);
  assert.is(status.pid, pids[0]);
  assert.ok(status.apps.some((x: { name: string; instances: number }) => x.name === app && x.instances === 2));
});

test('a socket and pid file left by a dead daemon, and a pid file naming a live non-daemon, are replaced', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const dead = await killDaemon9();
  const paths = daemonPaths();
  assert.ok((await stat(paths.socket)).isSocket(), 'the dead daemon left its socket');
  assert.is(await pidFile(), dead);
  const status = await dropship('daemon', 'status');
  assert.is(status.exitCode, 3);
  assert.match(status.stdout, /daemon not running/);
  // A pid that was reused by something else must not pass for the daemon.
  const imposter = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    await writeFile(paths.pid, `${imposter.pid}\n`);
    const started = await dropship('daemon', 'start', '--json');
    assert.is(started.exitCode, 0, started.stderr);
    const pid = JSON.parse(started.stdout).pid as number;
    assert.ok(pid !== imposter.pid && pid !== dead);
    assert.is(await pidFile(), pid);
    assert.equal(await daemonsOfStore(), [pid]);
    assert.ok(alive(imposter.pid!), 'the imposter was left alone');
    const socket = await stat(paths.socket);
    assert.is(socket.mode & 0o777, 0o600);
    assert.is(socket.uid, 0);
  } finally {
    imposter.kill('SIGKILL');
  }
});

test('a garbage exit file: a clear event, the instance restarted, the daemon alive', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const before = await instances(app);
  await stopDaemon();
  const victim = before[0]!;
  const state = await runtimeState(victim.containerId!);
  process.kill(state!.pid, 'SIGKILL');
  const exitFile = join(instanceDirs().exits, victim.containerId!);
  await eventually(async () => (await stat(exitFile).catch(() => undefined)) !== undefined, 'conmon to write the exit file');
  await writeFile(exitFile, 'not-a-status\n');
  const ps = await dropship('ps', app, '--json');
  assert.is(ps.exitCode, 0, ps.stderr);
  const daemon = await pidFile();
  const restarted = await eventually(async () => {
    const list = await instances(app);
    return list[0]!.state === 'running' && list[0]!.restarts === 1 ? list : undefined;
  }, 'instance 0 restarted');
  assert.is(restarted[1]!.containerId, before[1]!.containerId, 'the other instance was adopted, not restarted');
  assert.is(restarted[1]!.restarts, 0);
  assert.match(restarted[0]!.lastExit!, /Exit status unknown: exit file .*: "not-a-status" is not an exit status/);
  const events = JSON.parse((await dropship('events', app, '--json')).stdout) as Array<{ type: string; message: string }>;
  assert.ok(events.some((e) => e.type === 'exit-status-unknown' && e.message.includes(exitFile)), 'the event names the file');
  assert.is(await pidFile(), daemon);
  assert.ok(alive(daemon!), 'the daemon did not die');
  assert.is((await httpGet(hostPort)).status, 200);
});

test('a simulated reboot (daemon and containers gone, destroyed with runc) brings the app back', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const before = await instances(app);
  await killDaemon9();
  for (const i of before) await execa('runc', ['delete', '--force', i.containerId!]);
  for (const i of before) assert.is(await runtimeState(i.containerId!), undefined);
  const started = await dropship('daemon', 'start');
  assert.is(started.exitCode, 0, started.stderr);
  const after = await eventually(async () => {
    const list = await instances(app);
    return list.length === 2 && list.every((i) => i.state === 'running') ? list : undefined;
  }, 'both instances back');
  for (const i of after) assert.not.ok(before.some((b) => b.containerId === i.containerId), 'new containers');
  const seen = new Set<string>();
  // The data path picks at random (iptables statistic): 40 requests miss one of 2 with odds 2^-39.
  for (let n = 0; n < 40; n++) seen.add((await httpGet(hostPort)).body.trim());
  assert.equal([...seen].sort(), ['instance 0', 'instance 1']);
  const events = JSON.parse((await dropship('events', app, '--json')).stdout) as Array<{ type: string; message: string }>;
  assert.ok(events.some((e) => e.type === 'recover' && e.message.includes('has no runtime state')));
  // The old containers' leftovers (bundles, leases, logs) are gone.
  const left = await leftovers(app);
  for (const b of before) assert.not.ok(left.some((l) => l.includes(b.containerId!)), `nothing left of ${b.containerId}`);
});

test('stop stops the instances and the data path; a new daemon leaves a stopped app stopped', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const before = await instances(app);
  const stop = await dropship('stop', app);
  assert.is(stop.exitCode, 0, stop.stderr);
  for (const i of before) assert.is(await runtimeState(i.containerId!), undefined);
  const nat = String((await execa('iptables-save', ['-t', 'nat'])).stdout);
  assert.not.match(nat, new RegExp(`--dport ${hostPort} `), 'no DNAT left for the host port');
  await killDaemon9();
  const ps = JSON.parse((await dropship('ps', app, '--json')).stdout)[0];
  assert.is(ps.state, 'stopped');
  assert.equal(ps.instances, []);
  const start = await dropship('start', app);
  assert.is(start.exitCode, 0, start.stderr);
  assert.is((await httpGet(hostPort)).status, 200);
});

test.run();
