import '../../helpers/env.js';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { homePaths } from '../../../src/home.js';
import { buildImage, ensureUnpacked, exportImage, gc, inspectImage, openStore, removeImage, type BuiltImage } from '../../../src/oci/index.js';
import { defaultIdMap } from '../../../src/security/idmap.js';
import { ensureStack, type StackInfo } from '../../../src/stack/index.js';
import { makeDroplet, tempDir } from './image-fixtures.js';

// A private home: gc in the shared test store would sweep other tests' blobs.
let dir: string;
let home: ReturnType<typeof homePaths>;
let stack: StackInfo;
let a: BuiltImage;
let b: BuiltImage;

const exists = (path: string) => stat(path).then(() => true, () => false);

test.before(async () => {
  dir = await tempDir('gc');
  home = homePaths(join(dir, 'home'));
  stack = await ensureStack('tiny', { home });
  const store = openStore(home);
  a = await buildImage({ droplet: await makeDroplet(join(dir, 'a.tgz'), { startCommand: 'echo a', marker: 'a' }), stack, tag: 'a:v1', store });
  b = await buildImage({ droplet: await makeDroplet(join(dir, 'b.tgz'), { startCommand: 'echo b', marker: 'b' }), stack, tag: 'b:v1', store });
});

test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('gc removes only what no tag and no current stack build references', async () => {
  const store = openStore(home);
  await exportImage('a:v1', { ociLayout: join(dir, 'out') }, store);
  const bImage = await inspectImage('b:v1', store);
  const unpacked = await ensureUnpacked({ ...bImage.layers[1]!, diffId: bImage.layers[1]!.diffId }, defaultIdMap(), home);
  await removeImage('b:v1', store);
  const onlyB = [b.digest, bImage.configDigest, b.layers[1]!.digest].sort();

  const dry = await gc({ dryRun: true, keep: [stack.digest], home, store });
  assert.equal(dry.blobs.map((x) => x.digest).sort(), onlyB);
  assert.equal(dry.unpacked.map((u) => u.path), [unpacked]);
  assert.ok(dry.bytes > 0);
  assert.ok(await store.blobs.has(b.layers[1]!.digest), 'a dry run removes nothing');

  const real = await gc({ keep: [stack.digest], home, store });
  assert.equal(real.blobs.map((x) => x.digest).sort(), onlyB);
  assert.is(real.bytes, dry.bytes);
  assert.not.ok(await store.blobs.has(b.layers[1]!.digest));
  assert.not.ok(await exists(unpacked));
  // Everything of a:v1 is intact, its gzip copies included: exporting verifies every blob.
  await exportImage('a:v1', { ociArchive: join(dir, 'a.tar') }, store);
  assert.is((await inspectImage('a:v1', store)).digest, a.digest);
  assert.is((await gc({ keep: [stack.digest], home, store })).blobs.length, 0, 'a second gc finds nothing');
});

test('the current stack build stays when no image uses it; the rest of an untagged image goes', async () => {
  const store = openStore(home);
  await removeImage('a:v1', store);
  const result = await gc({ keep: [stack.digest], home, store });
  assert.ok(await store.blobs.has(stack.digest));
  assert.ok(result.blobs.some((x) => x.digest === a.layers[1]!.digest));
  const left = await store.blobs.list();
  assert.not.ok(left.includes(a.digest) || left.includes(a.layers[1]!.digest));
  assert.is(left.length, 2, `the stack layer and its cached gzip copy: ${left.join(' ')}`);
});

test.run();
