import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { homePaths } from '../../../src/home.js';
import { openStore } from '../../../src/oci/layout.js';
import { MediaType, REF_NAME } from '../../../src/oci/media-types.js';

let root = '';
test.before.each(async () => {
  root = await mkdtemp(join(tmpdir(), 'dropship-layout-'));
});
test.after.each(async () => {
  await rm(root, { recursive: true, force: true });
});

test('ensure writes oci-layout and an empty index', async () => {
  const { layout } = openStore(homePaths(root));
  await layout.ensure();
  assert.equal(JSON.parse(await readFile(join(root, 'oci', 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
  const index = JSON.parse(await readFile(join(root, 'oci', 'index.json'), 'utf8'));
  assert.equal(index, { schemaVersion: 2, mediaType: MediaType.index, manifests: [] });
});

test('setRef adds, replaces and removeRef removes a tag in the annotation', async () => {
  const { blobs, layout } = openStore(homePaths(root));
  const one = await blobs.writeJson({ n: 1 });
  const two = await blobs.writeJson({ n: 2 });
  await layout.setRef('app:1', { mediaType: MediaType.manifest, digest: one.digest, size: one.size });
  await layout.setRef('app:2', { mediaType: MediaType.manifest, digest: one.digest, size: one.size });
  await layout.setRef('app:1', { mediaType: MediaType.manifest, digest: two.digest, size: two.size });
  assert.equal((await layout.refs()).map((r) => r.name), ['app:2', 'app:1']);
  const got = await layout.getRef('app:1');
  assert.is(got?.digest, two.digest);
  assert.is(got?.annotations?.[REF_NAME], 'app:1');
  assert.is(await layout.removeRef('app:1'), true);
  assert.is(await layout.removeRef('app:1'), false);
  assert.is(await layout.getRef('app:1'), undefined);
});

test('concurrent setRef calls lose no tag', async () => {
  const { blobs, layout } = openStore(homePaths(root));
  const blob = await blobs.writeJson({});
  const names = Array.from({ length: 12 }, (_, i) => `t${i}`);
  await Promise.all(names.map((n) => layout.setRef(n, { mediaType: MediaType.manifest, digest: blob.digest, size: blob.size })));
  assert.equal((await layout.refs()).map((r) => r.name).sort(), [...names].sort());
});

test('a damaged index.json is reported with its path', async () => {
  const { layout } = openStore(homePaths(root));
  await layout.ensure();
  const { writeFile } = await import('node:fs/promises');
  await writeFile(layout.indexPath, '{"schemaVersion":2,"manifests":[{"digest":"sha256:nope","size":1}]}');
  try {
    await layout.refs();
    assert.unreachable('should fail');
  } catch (error) {
    assert.match((error as Error).message, `${layout.indexPath} manifests[0].digest`);
  }
});

test.run();
