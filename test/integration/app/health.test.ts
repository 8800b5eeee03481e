import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { uniqueName, isRoot } from '../../helpers/env.js';
import { ensureTestImage } from './fixture.js';
import { dropship, eventually, removeApp } from './helpers.js';

const apps: string[] = [];
let image = '';

function newApp(prefix: string): string {
  const name = uniqueName(prefix);
  apps.push(name);
  return name;
}

async function psInstances(app: string): Promise<Array<{ state: string; restarts: number; lastExit?: string }>> {
  const ps = await dropship('ps', app, '--json');
  return JSON.parse(ps.stdout)[0].instances;
}

test.before(async () => {
  if (isRoot) image = await ensureTestImage();
});

test.after(async () => {
  for (const app of apps) await removeApp(app);
});

test('an app that never listens fails its startup health check with the message of DESIGN.md', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const app = newApp('h6silent');
  const run = await dropship('run', image, '--name', app, '-d', '-c', 'sh /app/silent.sh', '--timeout', '3');
  assert.is(run.exitCode, 1);
  assert.match(run.stderr, /error: not every instance of '.*' became healthy/);
  const logs = (await dropship('logs', app)).stdout;
  assert.match(logs, /\[HEALTH\/0\] ERR Failed after 3s: startup health check never passed\./);
  assert.match(logs, /\[CELL\/0\] ERR Exit status 137/);
  const [instance] = await psInstances(app);
  assert.is(instance!.lastExit, 'Failed after 3s: startup health check never passed.');
  await dropship('delete', app);
});

test('an http health check on an endpoint answering 500 fails; on one answering 200 it passes', async () => {
  if (!isRoot) return;
  const bad = newApp('h6http500');
  const run = await dropship('run', image, '--name', bad, '-d', '--health-check-type', 'http', '--endpoint', '/cgi-bin/fail', '--timeout', '3');
  assert.is(run.exitCode, 1);
  assert.match((await dropship('logs', bad)).stdout, /\[HEALTH\/0\] ERR Failed after 3s: startup health check never passed\./);
  await dropship('delete', bad);
  const good = newApp('h6http200');
  const ok = await dropship('run', image, '--name', good, '-d', '--health-check-type', 'http', '--endpoint', '/cgi-bin/index', '--timeout', '10');
  assert.is(ok.exitCode, 0, ok.stderr);
  assert.match((await dropship('logs', good)).stdout, /\[HEALTH\/0\] OUT Container became healthy/);
  await dropship('delete', good);
});

test('an app that exits is restarted; ps shows the restarts and the exit reason', async () => {
  if (!isRoot) return;
  const app = newApp('h6crash');
  await dropship('run', image, '--name', app, '-d', '-c', 'sh /app/crash.sh', '--health-check-type', 'process');
  const instance = await eventually(async () => {
    const [i] = await psInstances(app);
    return i && i.restarts >= 2 && i;
  }, 'two restarts');
  assert.is(instance.lastExit, 'Exit status 3');
  const text = (await dropship('ps', app)).stdout;
  assert.match(text, /Exit status 3/);
  const logs = (await dropship('logs', app)).stdout;
  assert.match(logs, /\[APP\/PROC\/WEB\/0\] OUT crashing in a moment/);
  assert.match(logs, /\[CELL\/0\] ERR Exit status 3/);
  const events = JSON.parse((await dropship('events', app, '--json')).stdout) as Array<{ type: string; message: string }>;
  assert.ok(events.some((e) => e.type === 'crash' && e.message.includes('Exit status 3')));
  await dropship('delete', app);
});

test.run();
