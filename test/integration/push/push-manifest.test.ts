import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName } from '../../helpers/env.js';
import { dropship, FIXTURES, get, pushJson, removePushed, type PushJson } from './helpers.js';

const nolock = uniqueName('it-push-nolock');
const vendored = uniqueName('it-push-vendored');
let dir = '';

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dropship-push-manifest-'));
});

test.after(async () => {
  await removePushed(nolock);
  await removePushed(vendored);
  await rm(dir, { recursive: true, force: true });
});

test('an invalid manifest field stops the push before anything is staged, naming line, app and field', async () => {
  const manifest = join(dir, 'bad.yml');
  await writeFile(manifest, `applications:\n- name: ${nolock}\n  path: ${join(FIXTURES, 'node-nolock')}\n  instances: two\n`);
  const result = await dropship('push', '-f', manifest);
  assert.is(result.exitCode, 1);
  assert.match(result.stderr, `error: ${manifest}:4: applications[0] (${nolock}): 'instances' must be a whole number, got 'two'`);
  assert.match(result.stderr, 'hint: write instances: 2');
  assert.not.match(result.stderr, 'Staging');
});

test('a two-app manifest pushes both: without a lock file (npm install) and with node_modules vendored (npm rebuild)', async () => {
  const manifest = join(dir, 'manifest.yml');
  await writeFile(manifest, `---
applications:
- name: ${nolock}
  path: ${join(FIXTURES, 'node-nolock')}
  memory: 128M
  env:
    GREETING: unused
- name: ${vendored}
  path: ${join(FIXTURES, 'node-vendored')}
  memory: 128M
  health-check-type: http
  health-check-http-endpoint: /
`);
  const summaries = (await pushJson('-f', manifest)) as PushJson[];
  assert.equal(summaries.map((s) => [s.name, s.state, s.startCommand]), [
    [nolock, 'running', 'node server.js'],
    [vendored, 'running', 'npm start'],
  ]);
  assert.match(await get(summaries[0]!.url!), 'hello from node-nolock (1m = one minute)');
  assert.match(await get(summaries[1]!.url!), 'hello from node-vendored (7200000 ms in two hours)');
});

test.run();
