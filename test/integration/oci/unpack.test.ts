import { TEST_HOME, uniqueName } from '../../helpers/env.js';
import { execFileSync } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { homePaths } from '../../../src/home.js';
import { BlobStore, ImageLayout, MediaType, openStore, unpackLayer, writeLayer } from '../../../src/oci/index.js';
import { defaultIdMap } from '../../../src/security/idmap.js';
import { ensureStack } from '../../../src/stack/index.js';

const shared = homePaths(TEST_HOME);

/** Every path with type, mode, size and link target: what two unpacks of one layer must agree on. */
function listing(root: string): string {
  return execFileSync('find', ['.', '-mindepth', '1', '-printf', '%P %y %m %s %l\\n'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .map((line) => line.replace(/ d (\d+) \d+ $/, ' d $1 - '))
    .sort()
    .join('\n');
}

test('umoci unpacks an image made of the tiny layer, and dropship unpacks it to the same tree', async () => {
  const work = join(TEST_HOME, 'tmp', uniqueName('h2-umoci'));
  await mkdir(work, { recursive: true });
  try {
    const info = await ensureStack('tiny', { home: shared });
    const layoutDir = join(work, 'layout');
    const blobs = new BlobStore(layoutDir);
    const layout = new ImageLayout(layoutDir);
    await layout.ensure();
    const layer = await blobs.writeStream(await openStore(shared).blobs.openRead(info), { expectedDigest: info.digest });
    const config = await blobs.writeJson({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [info.diffId] },
    });
    const manifest = await blobs.writeJson({
      schemaVersion: 2,
      mediaType: MediaType.manifest,
      config: { mediaType: MediaType.config, digest: config.digest, size: config.size },
      layers: [{ mediaType: MediaType.layer, digest: layer.digest, size: layer.size }],
    });
    await layout.setRef('tiny', { mediaType: MediaType.manifest, digest: manifest.digest, size: manifest.size });

    execFileSync('umoci', ['unpack', '--image', `${layoutDir}:tiny`, join(work, 'bundle')], { stdio: 'pipe' });
    const umociRoot = join(work, 'bundle', 'rootfs');
    assert.is(lstatSync(join(umociRoot, 'home/vcap')).uid, 2000);

    const ours = join(work, 'ours');
    await mkdir(ours);
    await unpackLayer(await blobs.openRead(layer), ours, { expectedDiffId: info.diffId });
    assert.is(listing(ours), listing(umociRoot));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('a layer written by GNU tar (./ names) unpacks with ids shifted', async () => {
  const work = join(TEST_HOME, 'tmp', uniqueName('h2-gnutar'));
  await mkdir(join(work, 'src/app'), { recursive: true });
  try {
    execFileSync('sh', ['-c', 'echo hi > app/hello && ln app/hello app/again && ln -s hello app/link && chown -R 2000:2000 app'], { cwd: join(work, 'src') });
    const tarFile = join(work, 'layer.tar');
    execFileSync('tar', ['-C', join(work, 'src'), '--numeric-owner', '-cf', tarFile, '.']);
    const blobs = new BlobStore(join(work, 'layout'));
    const written = await writeLayer((await import('node:fs')).createReadStream(tarFile), blobs);
    const target = join(work, 'out');
    await mkdir(target);
    const result = await unpackLayer(await blobs.openRead(written.descriptor), target, { idMap: defaultIdMap({}), expectedDiffId: written.diffId });
    assert.is(result.diffId, written.diffId, 'GNU tar pads to 10 KiB records; the padding is part of the diff_id');
    assert.is(lstatSync(join(target, 'app/hello')).uid, 1_002_000);
    assert.is(lstatSync(join(target, 'app/again')).ino, lstatSync(join(target, 'app/hello')).ino);
    assert.ok(lstatSync(join(target, 'app/link')).isSymbolicLink());
    assert.is(lstatSync(target).uid, 1_000_000, "the './' entry sets the root's owner");
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test.run();
