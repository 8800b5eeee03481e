import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { uniqueName } from '../../helpers/env.js';
import { dropship, FIXTURES, get, pushJson, removePushed, type PushJson } from './helpers.js';

// node-procfile's manifest names the nodejs buildpack and asks for a worker next to web.
const name = uniqueName('it-push-procfile');

test.after(() => removePushed(name, [`${name}-worker`]));

test('a Procfile app runs its worker process as an app of its own, next to web', async () => {
  const summary = (await pushJson(join(FIXTURES, 'node-procfile'), '--name', name)) as PushJson;
  assert.equal(summary.processes.map((p) => [p.type, p.app, p.healthy, p.requested, p.command]), [
    ['web', name, 1, 1, 'node web.js'],
    ['worker', `${name}-worker`, 1, 1, 'node worker.js'],
  ]);
  assert.is(await get(summary.url!), 'hello from the web process\n');
  let logs = '';
  for (let i = 0; i < 50 && !logs.includes('worker started'); i++) {
    logs = (await dropship('logs', `${name}-worker`, '--recent')).stdout;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(logs, '[APP/PROC/WORKER/0] OUT worker started');
});

test.run();
