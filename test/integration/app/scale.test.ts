import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { uniqueName, isRoot } from '../../helpers/env.js';
import { updateApp } from '../../../src/apps/api.js';
import { readAppSpec } from '../../../src/apps/state.js';
import { ensureTestImage } from './fixture.js';
import { dropship, httpGet, removeApp } from './helpers.js';

const app = uniqueName('h6scale');
let image = '';
let hostPort = 0;

async function answers(count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) seen.add((await httpGet(hostPort)).body.trim());
  return seen;
}

test.before(async () => {
  if (isRoot) image = await ensureTestImage();
});

test.after(async () => {
  if (isRoot) await removeApp(app);
});

test('scale 1 → 3 spreads requests over the instances, 3 → 1 keeps serving', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const run = await dropship('run', image, '--name', app, '-d', '--json', '--stop-timeout', '3');
  assert.is(run.exitCode, 0, run.stderr);
  hostPort = JSON.parse(run.stdout).hostPort;
  assert.equal([...(await answers(3))], ['instance 0']);
  const up = await dropship('scale', app, '-i', '3', '--json');
  assert.is(up.exitCode, 0, up.stderr);
  assert.equal(JSON.parse(up.stdout).instances.map((i: { state: string }) => i.state), ['running', 'running', 'running']);
  // The data path picks at random (iptables statistic): 60 requests miss one of 3 with odds 1e-10.
  assert.equal([...(await answers(60))].sort(), ['instance 0', 'instance 1', 'instance 2']);
  const down = await dropship('scale', app, '-i', '1');
  assert.is(down.exitCode, 0, down.stderr);
  assert.equal([...(await answers(4))], ['instance 0']);
  const [summary] = JSON.parse((await dropship('ps', app, '--json')).stdout);
  assert.is(summary.instances.length, 1);
  assert.equal(summary.processes.map((p: { type: string; instances: number }) => [p.type, p.instances]), [['web', 1]]);
});

test('a rolling restart under a polling client loses no request', async () => {
  if (!isRoot) return;
  await dropship('scale', app, '-i', '2');
  const before = JSON.parse((await dropship('ps', app, '--json')).stdout)[0].instances.map((i: { guid: string }) => i.guid);
  let polling = true;
  const failures: string[] = [];
  let served = 0;
  const client = (async () => {
    for (let i = 0; polling && i < 5000; i++) {
      try {
        const answer = await httpGet(hostPort);
        if (answer.status === 200) served++;
        else failures.push(`status ${answer.status}`);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  })();
  const restart = await dropship('restart', app, '--rolling');
  polling = false;
  await client;
  assert.is(restart.exitCode, 0, restart.stderr);
  assert.equal(failures, []);
  assert.ok(served > 0);
  const after = JSON.parse((await dropship('ps', app, '--json')).stdout)[0].instances;
  assert.is(after.length, 2);
  for (const instance of after) {
    assert.is(instance.state, 'running');
    assert.not.ok(before.includes(instance.guid), 'every instance was replaced');
  }
});

test('updateApp makes a new release and moves a running app onto it one instance at a time', async () => {
  if (!isRoot) return;
  const spec = (await readAppSpec(app))!;
  const result = await updateApp(app, { env: { ...spec.env, RELEASE: 'two' } }, 'set RELEASE=two');
  assert.is(result.release, spec.release + 1);
  assert.ok(result.running);
  assert.is(result.instances.length, 2);
  for (let i = 0; i < 4; i++) assert.match((await httpGet(hostPort, '/cgi-bin/env')).body, /^RELEASE=two$/m);
  const events = JSON.parse((await dropship('events', app, '--json')).stdout) as Array<{ type: string }>;
  assert.ok(events.some((e) => e.type === 'release'));
  const instances = JSON.parse((await dropship('ps', app, '--json')).stdout)[0].instances as Array<{ release: number }>;
  assert.equal(instances.map((i) => i.release), [result.release, result.release]);
});

test('stop is forced for an app that ignores SIGTERM, after the stop timeout', async () => {
  if (!isRoot) return;
  const stubborn = uniqueName('h6stubborn');
  try {
    const run = await dropship('run', image, '--name', stubborn, '-d', '-c', 'sh /app/stubborn.sh', '--stop-timeout', '2');
    assert.is(run.exitCode, 0, run.stderr);
    const stop = await dropship('stop', stubborn);
    assert.is(stop.exitCode, 0, stop.stderr);
    const logs = (await dropship('logs', stubborn)).stdout;
    assert.match(logs, /\[APP\/PROC\/WEB\/0\] OUT ignoring SIGTERM/);
    assert.match(logs, /\[CELL\/0\] OUT Instance did not stop within 2s of SIGTERM; sending SIGKILL/);
    assert.match(logs, /\[CELL\/0\] OUT Exit status 137/);
  } finally {
    await removeApp(stubborn);
  }
});

test.run();
