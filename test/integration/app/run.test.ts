import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stat } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { uniqueName, isRoot } from '../../helpers/env.js';
import { appPaths } from '../../../src/apps/state.js';
import { daemonPaths } from '../../../src/apps/index.js';
import { apparmorUnavailableReason } from '../../../src/security/apparmor.js';
import { ensureTestImage } from './fixture.js';
import { dropship, eventually, httpGet, leaseShorts, leftovers, removeApp } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const app = uniqueName('h6run');
let image = '';
let hostPort = 0;

test.before(async () => {
  if (!isRoot) return;
  image = await ensureTestImage();
});

test.after(async () => {
  if (isRoot) await removeApp(app);
});

test('run -d starts a healthy app that answers on its host port', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const run = await dropship('run', image, '--name', app, '-d', '--json', '-e', 'GREETING=hello world', '--stop-timeout', '5');
  assert.is(run.exitCode, 0, run.stderr);
  const result = JSON.parse(run.stdout);
  assert.ok(result.running);
  hostPort = result.hostPort;
  assert.ok(hostPort >= 61001);
  const answer = await httpGet(hostPort);
  assert.is(answer.status, 200);
  assert.is(answer.body.trim(), 'instance 0');
});

test('the instance sees the platform env, its own user and no capabilities', async () => {
  if (!isRoot) return;
  const env = (await httpGet(hostPort, '/cgi-bin/env')).body;
  assert.match(env, /^PORT=8080$/m);
  assert.match(env, /^INSTANCE_INDEX=0$/m);
  assert.match(env, /^MEMORY_LIMIT=256m$/m);
  assert.match(env, /^GREETING=hello world$/m);
  assert.match(env, new RegExp(`^CF_INSTANCE_PORT=${hostPort}$`, 'm'));
  const vcap = JSON.parse(/^VCAP_APPLICATION=(.*)$/m.exec(env)![1]!);
  assert.is(vcap.application_name, app);
  assert.is(vcap.instance_index, 0);
  assert.equal(vcap.limits, { mem: 256, disk: 1024, fds: 16384 });
});

test('ps and logs work from a second process, in text and JSON', async () => {
  if (!isRoot) return;
  const ps = await dropship('ps', app, '--json');
  assert.is(ps.exitCode, 0, ps.stderr);
  const [summary] = JSON.parse(ps.stdout);
  assert.is(summary.state, 'started');
  assert.is(summary.instances.length, 1);
  assert.is(summary.instances[0].state, 'running');
  assert.is(summary.instances[0].restarts, 0);
  assert.ok(summary.instances[0].memoryBytes > 0, 'memory read from the cgroup');
  const text = await dropship('ps');
  assert.match(text.stdout, new RegExp(`${app}\\s+web\\s+0\\s+running`));
  const logs = await dropship('logs', app, '--recent');
  assert.match(logs.stdout, /\[APP\/PROC\/WEB\/0\] OUT web instance 0 listening on 8080/);
  assert.match(logs.stdout, /\[HEALTH\/0\] OUT Container became healthy/);
  assert.match(logs.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[/m);
  const json = (await dropship('logs', app, '--json')).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(json.some((e) => e.source === 'HEALTH' && e.message === 'Container became healthy'));
});

test("the app's state, logs and socket are root's alone", async () => {
  if (!isRoot) return;
  const paths = appPaths(app);
  assert.is((await stat(paths.dir)).mode & 0o777, 0o700);
  assert.is((await stat(paths.logs)).mode & 0o777, 0o700);
  for (const file of [paths.spec, daemonPaths().socket, paths.events, `${paths.logs}/app.log`]) {
    assert.is((await stat(file)).mode & 0o777, 0o600, file);
  }
});

test('stop is graceful for an app that traps SIGTERM, logs --follow sees it live; start brings it back', async () => {
  if (!isRoot) return;
  const follow = execa(process.execPath, ['--import', 'tsx', MAIN, 'logs', app, '--follow'], { reject: false, env: process.env });
  let followed = '';
  follow.stdout!.on('data', (chunk: Buffer) => (followed += chunk.toString()));
  await eventually(async () => followed.includes('Container became healthy'), 'follow to print the stored lines');
  const stop = await dropship('stop', app);
  assert.is(stop.exitCode, 0, stop.stderr);
  await eventually(async () => followed.includes('Exit status 0'), 'follow to print the exit');
  follow.kill('SIGINT');
  assert.is((await follow).exitCode, 0);
  assert.match(followed, /\[CELL\/0\] OUT Stopping instance/);
  const logs = (await dropship('logs', app)).stdout;
  assert.match(logs, /\[APP\/PROC\/WEB\/0\] OUT got SIGTERM, leaving/);
  assert.match(logs, /\[CELL\/0\] OUT Exit status 0/);
  const refused = await httpGet(hostPort).then(() => false, () => true);
  assert.ok(refused, 'nothing answers on the host port of a stopped app');
  const [summary] = JSON.parse((await dropship('ps', app, '--json')).stdout);
  assert.is(summary.state, 'stopped');
  const start = await dropship('start', app);
  assert.is(start.exitCode, 0, start.stderr);
  assert.is((await httpGet(hostPort)).body.trim(), 'instance 0');
});

test('events tell the story', async () => {
  if (!isRoot) return;
  const events = JSON.parse((await dropship('events', app, '--json')).stdout) as Array<{ type: string; message: string }>;
  const types = events.map((e) => e.type);
  for (const type of ['create', 'start', 'hardening', 'instance-start', 'stop']) assert.ok(types.includes(type), `${type} in ${types}`);
  const hardening = events.find((e) => e.type === 'hardening')!;
  const reason = await apparmorUnavailableReason();
  assert.is(hardening.message.startsWith(reason ? `AppArmor not enforced (${reason})` : 'AppArmor profile dropship-default enforced'), true, hardening.message);
});

test('clear errors: a taken host port, an existing name, an image not in the store', async () => {
  if (!isRoot) return;
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '0.0.0.0', () => r()));
  const taken = (blocker.address() as AddressInfo).port;
  const other = uniqueName('h6port');
  try {
    const busy = await dropship('run', image, '--name', other, '-d', '-p', String(taken));
    assert.is(busy.exitCode, 1);
    assert.match(busy.stderr, new RegExp(`error: host port ${taken} is already in use on this host.*\nhint: choose another port with -p`));
    assert.is((await dropship('ps', other)).exitCode, 1, 'nothing was created');
  } finally {
    blocker.close();
    await removeApp(other);
  }
  const again = await dropship('run', image, '--name', app, '-d');
  assert.is(again.exitCode, 1);
  assert.match(again.stderr, new RegExp(`error: an app named '${app}' exists\nhint: start it with \`dropship start ${app}\``));
  const missing = await dropship('run', 'no-such-image:1', '--name', uniqueName('h6none'), '-d');
  assert.is(missing.exitCode, 1);
  assert.match(missing.stderr, /error: image no-such-image:1 is not in the store/);
  const badLines = await dropship('logs', app, '-n', 'many');
  assert.is(badLines.exitCode, 1);
  assert.match(badLines.stderr, "error: --lines: 'many' is not a positive integer\nhint: use e.g. --lines 100");
});

test('delete leaves nothing behind', async () => {
  if (!isRoot) return;
  const shorts = await leaseShorts(app);
  assert.ok(shorts.length > 0);
  const del = await dropship('delete', app);
  assert.is(del.exitCode, 0, del.stderr);
  assert.equal(await eventually(async () => (await leftovers(app, shorts)).length === 0 && [], 'cleanup', 10), []);
  assert.equal(await leftovers(app, shorts), []);
  const ps = await dropship('ps', app);
  assert.is(ps.exitCode, 1);
  assert.match(ps.stderr, new RegExp(`error: no app named '${app}'`));
});

test.run();
