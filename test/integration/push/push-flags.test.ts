import '../../helpers/env.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isRoot, uniqueName } from '../../helpers/env.js';
import { dropship, FIXTURES, get, pushJson, removePushed, type PushJson } from './helpers.js';

const lower = uniqueName('am-case');
const upper = lower.toUpperCase();
let dir = '';

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dropship-push-flags-'));
});
test.after(async () => {
  await removePushed(lower);
  await removePushed(upper);
  await rm(dir, { recursive: true, force: true });
});

test('a manifest env naming PORT is refused at validation, naming manifest.yml:LINE, before anything is staged', async () => {
  const manifest = join(dir, 'port.yml');
  await writeFile(manifest, `applications:\n- name: ${lower}\n  path: ${join(FIXTURES, 'static-site')}\n  env:\n    PORT: '9000'\n`);
  const result = await dropship('push', '-f', manifest);
  assert.is(result.exitCode, 1);
  assert.match(result.stderr, `error: ${manifest}:5: applications[0] (${lower}): env 'PORT' is set by the platform for every instance`);
  assert.match(result.stderr, 'hint:');
  assert.is((await dropship('ps', lower)).exitCode, 1, 'no app was registered');
});

test('an unresolved ((var)) names the var and its line; --var fills it', async () => {
  const manifest = join(dir, 'vars.yml');
  await writeFile(manifest, `applications:\n- name: ((name))\n  path: ${join(FIXTURES, 'static-site')}\n  instances: ((count))\n`);
  const missing = await dropship('push', '-f', manifest, '--var', `name=${lower}`);
  assert.is(missing.exitCode, 1);
  assert.match(missing.stderr, `error: ${manifest}:4: ((count)) is not set`);
  assert.match(missing.stderr, 'hint: give it with --var count=VALUE or in a --vars-file');
});

test('push -p PATH --no-start registers the app stopped; start runs it; UPPER and lower never share an image', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const site = join(FIXTURES, 'static-site');
  const first = (await pushJson('-p', site, '--name', upper, '-s', 'tiny', '-m', '64', '--no-start')) as PushJson;
  assert.is(first.state, 'stopped');
  const ps = JSON.parse((await dropship('ps', upper, '--json')).stdout)[0];
  assert.is(ps.instances.length, 0);
  assert.is(ps.processes[0].memoryBytes, 64 * 1024 * 1024, '-m 64 is 64M in push too');
  const start = await dropship('start', upper);
  assert.is(start.exitCode, 0, start.stderr);
  const second = (await pushJson('-p', site, '--name', lower, '-s', 'tiny', '-m', '64M')) as PushJson;
  assert.is(second.state, 'running');
  assert.is.not(first.image, second.image, 'names that differ in case get their own image');
  const [a, b] = await Promise.all([
    dropship('image', 'inspect', first.image, '--json'),
    dropship('image', 'inspect', second.image, '--json'),
  ]);
  assert.is(a.exitCode, 0, a.stderr);
  assert.is(b.exitCode, 0, b.stderr);
  assert.match(await get(`${second.url}/`), 'Hello from a static site');
});

test.run();
