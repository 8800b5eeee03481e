import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../src/errors.js';
import { BlobStore } from '../../src/oci/cas.js';
import { writeDropletLayer } from '../../src/oci/droplet-layer.js';
import { unpackLayer } from '../../src/oci/layer-unpack.js';
import type { IdMap } from '../../src/security/idmap.js';
import { skipUnlessRoot } from '../helpers/assert.js';
import { hostView } from './host-view.js';

/*
 * A droplet is written by staging code (buildpacks), then given to `image build`, which re-packs
 * it into the layer at /home/vcap. No name in it may land outside /home/vcap, nothing may be
 * written through a link it made, and once the layer is unpacked for a container the host
 * outside the unpack root is untouched.
 */

const idMap: IdMap = { uidMap: [{ containerID: 0, hostID: 1_000_000, size: 65536 }], gidMap: [{ containerID: 0, hostID: 1_000_000, size: 65536 }] };
type Spec = Partial<tar.Header> & { name: string; body?: string };

let work = '';
let victim = '';
let store: BlobStore;
test.before.each(async () => {
  work = await mkdtemp(join(tmpdir(), 'dropship-sec-droplet-'));
  victim = join(work, 'victim');
  await mkdir(victim, { mode: 0o755 });
  await writeFile(join(victim, 'passwd'), 'root:x:0:0\n', { mode: 0o644 });
  store = new BlobStore(join(work, 'store'));
});
test.after.each(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A droplet crafted entry by entry with tar-stream, which writes what dropship never would. */
async function droplet(entries: Spec[]): Promise<string> {
  const path = join(work, `droplet-${Math.random().toString(36).slice(2)}.tgz`);
  const pack = tar.pack();
  const writing = pipeline(pack, createGzip(), createWriteStream(path));
  for (const { body, ...header } of entries) pack.entry({ mode: header.type === 'directory' ? 0o755 : 0o644, ...header }, body ?? '');
  pack.finalize();
  await writing;
  return path;
}

async function refusedBuild(entries: Spec[], message: string): Promise<void> {
  try {
    await writeDropletLayer(await droplet(entries), store);
    assert.unreachable('should refuse');
  } catch (error) {
    if (!(error instanceof DropshipError)) throw error;
    assert.is(error.code, 'DROPLET_BAD_ENTRY');
    assert.is(error.message, message);
  }
  assert.equal(await store.list(), [], 'nothing was stored');
}

/** Names and link targets of every entry of a stored layer. */
async function layerEntries(digest: `sha256:${string}`, size: number): Promise<tar.Header[]> {
  const extract = tar.extract();
  const headers: tar.Header[] = [];
  const reading = pipeline(await store.openRead({ digest, size }), extract);
  for await (const entry of extract) {
    headers.push(entry.header);
    entry.resume();
  }
  await reading;
  return headers;
}

test('an entry through a symlink the droplet made is refused when the image is built, naming it', async () => {
  for (const linkname of [victim, '../../../..' + victim]) {
    await refusedBuild(
      [{ name: './app/', type: 'directory' }, { name: './app/l', type: 'symlink', linkname }, { name: './app/l/passwd', body: 'pwned' }],
      "droplet entry './app/l/passwd' its parent app/l is a symlink in the droplet, and writing through it could leave /home/vcap",
    );
  }
  // A directory the droplet never named, replaced by a symlink later, is caught too.
  await refusedBuild(
    [{ name: './app/d/x', body: 'x' }, { name: './app/d', type: 'symlink', linkname: victim }, { name: './app/d/y', body: 'pwned' }],
    "droplet entry './app/d/y' its parent app/d is a symlink in the droplet, and writing through it could leave /home/vcap",
  );
});

test('hard links may only point at files of the droplet, never up or out', async () => {
  await refusedBuild([{ name: './app/h', type: 'link', linkname: '../../etc/shadow' }], "droplet entry './app/h' climbs out of the droplet with '..' in its link target '../../etc/shadow'");
  await refusedBuild([{ name: './app/h', type: 'link', linkname: '/etc/shadow' }], "droplet entry './app/h' its hard link target 'etc/shadow' is not in the droplet before it");
  await refusedBuild(
    [{ name: './app/l', type: 'symlink', linkname: victim }, { name: './app/h', type: 'link', linkname: './app/l/passwd' }],
    "droplet entry './app/h' its parent app/l is a symlink in the droplet, and writing through it could leave /home/vcap",
  );
});

test('names that would be whiteouts in the layer are refused', async () => {
  await refusedBuild([{ name: './app/.wh.index.html', body: '' }], "droplet entry './app/.wh.index.html' is named like an OCI whiteout ('.wh.…'), which a layer cannot carry as a file");
  await refusedBuild([{ name: './.wh..wh..opq', body: '' }], "droplet entry './.wh..wh..opq' is named like an OCI whiteout ('.wh.…'), which a layer cannot carry as a file");
});

test('absolute names land under /home/vcap; setuid bits and foreign owners are dropped', async () => {
  const layer = await writeDropletLayer(await droplet([
    { name: '/etc/cron.d/evil', body: '* * * * * root sh' },
    { name: './app/su', body: '#!/bin/sh\n', mode: 0o6755, uid: 0, gid: 0 },
  ]), store);
  const headers = await layerEntries(layer.descriptor.digest, layer.descriptor.size);
  for (const h of headers) assert.ok(h.name.startsWith('home/') || h.name.startsWith('lifecycle/'), `${h.name} is outside /home/vcap`);
  assert.ok(headers.some((h) => h.name === 'home/vcap/etc/cron.d/evil'));
  const su = headers.find((h) => h.name === 'home/vcap/app/su')!;
  assert.is(su.mode! & 0o7000, 0);
  assert.equal([su.uid, su.gid], [2000, 2000]);
});

test('a droplet replacing its own directory by a symlink to a host path: the unpacked layer writes nothing there', async () => {
  if (skipUnlessRoot('unpacking with shifted ids needs root')) return;
  await chmod(victim, 0o755);
  const layer = await writeDropletLayer(await droplet([
    { name: './app/', type: 'directory' },
    { name: './app/d/', type: 'directory', mode: 0o777 },
    { name: './app/d/sub/', type: 'directory' },
    { name: './app/d/passwd', body: 'pwned', mode: 0o4755 },
    { name: './app/d', type: 'symlink', linkname: victim },
  ]), store);
  const root = join(work, 'root');
  await mkdir(root, { mode: 0o755 });
  const before = hostView(work, (rel) => rel === 'root' || rel === 'store' || rel.endsWith('.tgz'));
  await unpackLayer(await store.openRead(layer.descriptor), root, { idMap });
  assert.equal(hostView(work, (rel) => rel === 'root' || rel === 'store' || rel.endsWith('.tgz')), before);
});

test.run();
