import '../../helpers/env.js';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { homePaths } from '../../../src/home.js';
import { buildImage, exportImage, inspectImage, openStore, rebaseImage } from '../../../src/oci/index.js';
import { ensureStack, type StackInfo } from '../../../src/stack/index.js';
import { makeDroplet, rebuildStack, tempDir } from './image-fixtures.js';

// A private home: rebuilding a stack here must not move the shared test store's stacks.
let dir: string;
let home: ReturnType<typeof homePaths>;
let oldStack: StackInfo;
let newStack: StackInfo;

test.before(async () => {
  dir = await tempDir('rebase');
  home = homePaths(join(dir, 'home'));
  oldStack = await ensureStack('tiny', { home });
  const droplet = await makeDroplet(join(dir, 'droplet.tgz'), { startCommand: 'echo rebased', bigBytes: 1024 * 1024 });
  await buildImage({ droplet, stack: oldStack, tag: 'app:v1', store: openStore(home) });
  newStack = await rebuildStack('tiny', home);
});

test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('rebase swaps the stack layer and keeps the droplet layer, without reading it', async () => {
  assert.is.not(newStack.diffId, oldStack.diffId, 'the rebuilt stack differs');
  const store = openStore(home);
  const before = await inspectImage('app:v1', store);
  const dropletBlob = store.blobs.path(before.layers[1]!.digest);
  // The droplet layer is moved away during the rebase: a rebase that read it would fail.
  await rename(dropletBlob, `${dropletBlob}.away`);
  let result;
  try {
    result = await rebaseImage('app:v1', newStack, { store });
  } finally {
    await rename(`${dropletBlob}.away`, dropletBlob);
  }
  assert.ok(result.changed);
  assert.is(result.previousBase, oldStack.diffId);
  assert.is(result.base, newStack.diffId);
  const after = await inspectImage('app:v1', store);
  assert.is(after.digest, result.digest);
  assert.is.not(after.digest, before.digest);
  assert.is(after.layers[0]!.digest, newStack.digest);
  assert.is(after.layers[1]!.digest, before.layers[1]!.digest, 'droplet layer unchanged');
  assert.equal(after.config.rootfs.diff_ids, [newStack.diffId, before.config.rootfs.diff_ids[1]]);
  assert.is(after.config.config.Labels?.['io.dropship.stack.digest'], newStack.diffId);
  assert.equal(after.config.config.Cmd, before.config.config.Cmd);

  const layout = join(dir, 'layout');
  const exported = await exportImage('app:v1', { ociLayout: layout }, store);
  const inspected = JSON.parse((await execa('skopeo', ['inspect', `oci:${layout}:v1`])).stdout) as { Digest: string };
  assert.is(inspected.Digest, exported.digest);
});

test('a second rebase onto the same build changes nothing', async () => {
  const again = await rebaseImage('app:v1', newStack, { store: openStore(home) });
  assert.not.ok(again.changed);
  assert.is(again.digest, again.previousDigest);
});

test('rebase refuses another stack unless forced', async () => {
  const store = openStore(home);
  const other = { ...newStack, name: 'bookworm' };
  try {
    await rebaseImage('app:v1', other, { store });
    assert.unreachable('should refuse');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as DropshipError).code, 'REBASE_OTHER_STACK');
    assert.is((error as Error).message, 'image app:v1 is built on stack tiny, not bookworm');
  }
  const forced = await rebaseImage('app:v1', other, { store, force: true });
  assert.ok(forced.changed);
  assert.is((await inspectImage('app:v1', store)).stack, 'bookworm');
});

test.run();
