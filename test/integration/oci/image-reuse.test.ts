import { uniqueName } from '../../helpers/env.js';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildImage, removeImage, type ImageResultJson } from '../../../src/oci/index.js';
import { ensureStack } from '../../../src/stack/index.js';
import { makeDroplet, tempDir } from './image-fixtures.js';

const name = uniqueName('p1-reuse');
const START = 'echo reuse';
const result = (web: string): ImageResultJson => ({
  lifecycle_metadata: { detected_buildpack: 'test-buildpack', buildpacks: [{ name: 'test-buildpack', version: '1.0.0' }] },
  process_types: { web },
});
let dir: string;
let droplet: string;
let other: string;

test.before(async () => {
  dir = await tempDir('image-reuse');
  droplet = await makeDroplet(join(dir, 'droplet.tgz'), { startCommand: START });
  other = await makeDroplet(join(dir, 'other.tgz'), { startCommand: START, marker: 'changed source' });
});

test.after(async () => {
  for (const tag of ['app', 'fresh', 'bare']) await removeImage(`${name}:${tag}`).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

test('rebuilding the same droplet on the same stack build reuses the tagged image', async () => {
  const stack = await ensureStack('tiny');
  const first = await buildImage({ droplet, result: result(START), stack, tag: `${name}:app` });
  assert.is(first.reused, false);
  const again = await buildImage({ droplet, result: result(START), stack, tag: `${name}:app` });
  assert.is(again.reused, true);
  assert.is(again.digest, first.digest);
  assert.equal(again.layers, first.layers);
  assert.equal(again.processTypes, first.processTypes);
  assert.is(again.startCommand, START);
  const fresh = await buildImage({ droplet, result: result(START), stack, tag: `${name}:fresh` });
  assert.is(fresh.reused, false, 'another tag holds nothing to reuse');
  assert.is(fresh.digest, first.digest, 'a reused image is the one a full build makes');
});

test('a changed droplet, result or epoch rebuilds', async () => {
  const stack = await ensureStack('tiny');
  const base = await buildImage({ droplet, result: result(START), stack, tag: `${name}:app` });
  const changed = await buildImage({ droplet: other, result: result(START), stack, tag: `${name}:app` });
  assert.is(changed.reused, false);
  assert.is.not(changed.digest, base.digest);
  const back = await buildImage({ droplet, result: result(START), stack, tag: `${name}:app` });
  assert.is(back.reused, false);
  assert.is(back.digest, base.digest);
  const command = await buildImage({ droplet, result: result('echo other'), stack, tag: `${name}:app` });
  assert.is(command.reused, false);
  assert.is.not(command.digest, base.digest);
  await buildImage({ droplet, result: result(START), stack, tag: `${name}:app` });
  const epoch = await buildImage({ droplet, result: result(START), stack, tag: `${name}:app`, sourceDateEpoch: 1_700_000_000 });
  assert.is(epoch.reused, false);
  assert.is.not(epoch.digest, base.digest);
});

test('without a web command in result.json the droplet is always read', async () => {
  const stack = await ensureStack('tiny');
  await buildImage({ droplet, stack, tag: `${name}:bare` });
  const again = await buildImage({ droplet, stack, tag: `${name}:bare` });
  assert.is(again.reused, false);
  assert.is(again.startCommand, START, 'the start command still comes from staging_info.yml');
});

test.run();
