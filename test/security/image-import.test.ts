import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../src/errors.js';
import { homePaths } from '../../src/home.js';
import { BlobStore } from '../../src/oci/cas.js';
import { importImage } from '../../src/oci/import.js';
import { ImageLayout, openStore, type Store } from '../../src/oci/layout.js';
import { MediaType } from '../../src/oci/media-types.js';
import { packEntries, type PackEntry } from '../../src/oci/tar-write.js';
import { drain } from '../helpers/assert.js';
import { hostView } from './host-view.js';

/*
 * `image import` reads a layout directory or an archive someone else made. A layout whose
 * index.json or blobs are symlinks (to /etc/shadow, to a root-only dir), or FIFOs, must not make
 * root read outside it; an archive with links, devices, `..` or absolute names is refused by name.
 */

let work = '';
let store: Store;
let layout = '';
let secretDir = '';
let layerDigest = '';
test.before.each(async () => {
  work = await mkdtemp(join(tmpdir(), 'dropship-sec-import-'));
  store = openStore(homePaths(join(work, 'home')));
  await store.layout.ensure();
  layout = join(work, 'layout');
  const blobs = new BlobStore(layout);
  await new ImageLayout(layout).ensure();
  const layer = await blobs.writeStream(packEntries([{ name: 'hello', type: 'file', mode: 0o644, uid: 0, gid: 0, body: 'hi' }]));
  layerDigest = layer.digest;
  const config = await blobs.writeJson({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [layer.digest] } });
  const manifest = await blobs.writeJson({
    schemaVersion: 2,
    mediaType: MediaType.manifest,
    config: { mediaType: MediaType.config, digest: config.digest, size: config.size },
    layers: [{ mediaType: MediaType.layer, digest: layer.digest, size: layer.size }],
  });
  await new ImageLayout(layout).setRef('evil:v1', { mediaType: MediaType.manifest, digest: manifest.digest, size: manifest.size });
  // What an attacker points the links at: root-only files outside the layout.
  secretDir = join(work, 'secret');
  await mkdir(secretDir, { mode: 0o700 });
});
test.after.each(async () => {
  await rm(work, { recursive: true, force: true });
});

async function refusedImport(source: string, pattern: RegExp): Promise<DropshipError> {
  const storeBefore = hostView(join(work, 'home', 'oci', 'blobs'));
  try {
    await importImage(source, { store });
    assert.unreachable('should refuse');
  } catch (error) {
    if (!(error instanceof DropshipError)) throw error;
    assert.match(error.message, pattern);
    assert.equal((await store.layout.refs()).length, 0, 'no tag was made');
    // Nothing read through a link reached the store.
    for (const name of Object.keys(hostView(join(work, 'home', 'oci', 'blobs')))) {
      if (!(name in storeBefore)) assert.not.match(name, layerDigest.slice(7), 'the layer came in through a link');
    }
    return error;
  }
  throw new Error('unreachable');
}

test('a layout whose index.json is a symlink is refused without reading the target', async () => {
  const secret = join(secretDir, 'index.json');
  await rename(join(layout, 'index.json'), secret);
  await symlink(secret, join(layout, 'index.json'));
  const error = await refusedImport(layout, /index\.json is a symlink/);
  assert.is(error.code, 'IMPORT_BAD_ENTRY');
});

test('a layout whose blobs directory (or blobs/sha256) is a symlink is refused', async () => {
  await rename(join(layout, 'blobs'), join(secretDir, 'blobs'));
  await symlink(join(secretDir, 'blobs'), join(layout, 'blobs'));
  await refusedImport(layout, /blobs is a symlink/);
  await rm(join(layout, 'blobs'));
  await mkdir(join(layout, 'blobs'));
  await symlink(join(secretDir, 'blobs', 'sha256'), join(layout, 'blobs', 'sha256'));
  await refusedImport(layout, /blobs\/sha256 is a symlink/);
});

test('a blob that is a symlink to a file outside with the right digest is refused', async () => {
  const blob = join(layout, 'blobs/sha256', layerDigest.slice(7));
  const outside = join(secretDir, 'root-only-file');
  await cp(blob, outside);
  await rm(blob);
  await symlink(outside, blob);
  await refusedImport(layout, new RegExp(`${layerDigest.slice(7)} is a symlink`));
  assert.not.ok(await store.blobs.has(layerDigest as `sha256:${string}`));
});

test('a blob that is a FIFO is refused instead of hanging the import', async () => {
  const blob = join(layout, 'blobs/sha256', layerDigest.slice(7));
  await rm(blob);
  execFileSync('mkfifo', [blob]);
  await refusedImport(layout, /is not a regular file/);
});

test('a clean layout still imports, every blob verified', async () => {
  const imported = await importImage(layout, { store });
  assert.equal(imported.map((i) => `${i.name}:${i.tag}`), ['evil:v1']);
  assert.ok(await store.blobs.has(layerDigest as `sha256:${string}`));
});

/** An OCI archive of the layout with extra members crafted before the real ones. */
async function archive(extra: PackEntry[]): Promise<string> {
  const entries: PackEntry[] = [...extra];
  for (const name of ['oci-layout', 'index.json']) {
    entries.push({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, body: readFileSync(join(layout, name)) });
  }
  for (const hex of await readdir(join(layout, 'blobs/sha256'))) {
    entries.push({ name: `blobs/sha256/${hex}`, type: 'file', mode: 0o644, uid: 0, gid: 0, body: readFileSync(join(layout, 'blobs/sha256', hex)) });
  }
  const path = join(work, 'image.tar');
  await writeFile(path, await drain(packEntries(entries)));
  return path;
}

test('archive members that are links, devices, absolute or climbing are refused by name', async () => {
  const cases: Array<[PackEntry, RegExp]> = [
    [{ name: 'blobs/sha256/' + 'a'.repeat(64), type: 'symlink', linkname: '/etc/shadow', mode: 0o777, uid: 0, gid: 0 }, /archive entry 'blobs\/sha256\/a+' is a symlink \(links and devices are not allowed\)/],
    [{ name: 'index.json', type: 'link', linkname: 'oci-layout', mode: 0o644, uid: 0, gid: 0 }, /archive entry 'index.json' is a link/],
    [{ name: 'blobs/sha256/../../../etc/x', type: 'file', mode: 0o644, uid: 0, gid: 0, body: 'x' }, /archive entry 'blobs\/sha256\/..\/..\/..\/etc\/x' is '..' in the name/],
    [{ name: 'dev', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666, uid: 0, gid: 0 }, /archive entry 'dev' is a character-device/],
  ];
  for (const [entry, pattern] of cases) {
    const error = await refusedImport(await archive([entry]), pattern);
    assert.is(error.code, 'IMPORT_BAD_ENTRY');
  }
  // An absolute name needs a hand-made header: dropship's writer refuses to write one.
  const tarStream = await import('tar-stream');
  const pack = tarStream.pack();
  pack.entry({ name: '/etc/cron.d/x', type: 'file', mode: 0o644 }, 'x');
  pack.finalize();
  const abs = join(work, 'abs.tar');
  await writeFile(abs, await drain(pack));
  await refusedImport(abs, /archive entry '\/etc\/cron.d\/x' is an absolute name/);
});

test('an archive with two index.json is refused', async () => {
  await refusedImport(await archive([{ name: 'index.json', type: 'file', mode: 0o644, uid: 0, gid: 0, body: readFileSync(join(layout, 'index.json')) }]), /a second index\.json/);
});

test.run();
