import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { uniqueName } from '../../helpers/env.js';
import { dropship, FIXTURES, get, pushJson, removePushed, type PushJson } from './helpers.js';

// node-procfile's manifest names the nodejs buildpack and asks for a worker next to web.
const name = uniqueName('it-push-procfile');

test.after(() => removePushed(name));

test("a Procfile app runs its worker as a process of the app, next to web, as the manifest's processes ask", async () => {
  const summary = (await pushJson(join(FIXTURES, 'node-procfile'), '--name', name)) as PushJson;
  assert.equal(summary.processes.map((p) => [p.type, p.healthy, p.requested, p.command]), [
    ['web', 1, 1, 'node web.js'],
    ['worker', 1, 1, 'node worker.js'],
  ]);
  assert.is((await dropship('ps', `${name}-worker`)).exitCode, 1, 'no app of its own');
  assert.is(await get(summary.url!), 'hello from the web process\n');
  let logs = '';
  for (let i = 0; i < 50 && !logs.includes('worker started'); i++) {
    logs = (await dropship('logs', name, '--recent')).stdout;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(logs, '[APP/PROC/WORKER/0] OUT worker started');
});

test.run();
