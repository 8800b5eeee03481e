import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { drain, skipUnlessRoot } from '../../helpers/assert.js';
import { homePaths } from '../../../src/home.js';
import { sha256Digest } from '../../../src/oci/digest.js';
import { writeLayer } from '../../../src/oci/layer-write.js';
import { unpackLayer } from '../../../src/oci/layer-unpack.js';
import { openStore } from '../../../src/oci/layout.js';
import { ensureUnpacked, listUnpacked } from '../../../src/oci/unpack-cache.js';
import { packEntries } from '../../../src/oci/tar-write.js';
import type { IdMap } from '../../../src/security/idmap.js';

const idMap: IdMap = { uidMap: [{ containerID: 0, hostID: 1_000_000, size: 65536 }], gidMap: [{ containerID: 0, hostID: 1_000_000, size: 65536 }] };

type Spec = Partial<tar.Header> & { name: string; body?: string };

/** A tar crafted entry by entry with tar-stream, so that tests can write what dropship never would. */
async function craft(entries: Spec[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { body, ...header } of entries) pack.entry({ mtime: new Date(1_000_000_000_000), ...header }, body ?? '');
  pack.finalize();
  return drain(pack);
}

let dir = '';
let target = '';
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dropship-unpack-'));
  target = join(dir, 'root');
  await mkdir(target);
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function refused(data: Buffer, expected: string, options = {}): Promise<void> {
  try {
    await unpackLayer(Readable.from([data]), target, options);
    assert.unreachable('should refuse');
  } catch (error) {
    if (!(error instanceof DropshipError)) throw error;
    assert.is(error.code, 'UNPACK_ESCAPE');
    assert.is(error.message, expected);
  }
}

test('files, dirs, symlinks, hard links, modes and mtimes', async () => {
  const data = await craft([
    { name: 'etc/', type: 'directory', mode: 0o755 },
    { name: 'etc/passwd', body: 'root:x:0:0\n', mode: 0o644 },
    { name: 'bin/tool', body: '#!/bin/sh\n', mode: 0o4755 },
    { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
    { name: 'bin/again', type: 'link', linkname: 'bin/tool' },
  ]);
  const result = await unpackLayer(Readable.from([data]), target);
  assert.is(result.entries, 5);
  assert.is(result.diffId, sha256Digest(data));
  assert.is(readFileSync(join(target, 'etc/passwd'), 'utf8'), 'root:x:0:0\n');
  assert.is(lstatSync(join(target, 'bin/tool')).mode & 0o7777, 0o4755);
  assert.is(readlinkSync(join(target, 'bin/sh')), 'busybox');
  assert.is(lstatSync(join(target, 'bin/again')).ino, lstatSync(join(target, 'bin/tool')).ino);
  assert.is(lstatSync(join(target, 'etc/passwd')).mtimeMs, 1_000_000_000_000);
  assert.is(lstatSync(join(target, 'etc')).mtimeMs, 1_000_000_000_000);
});

test('a gzipped layer is recognised by its magic bytes', async () => {
  const data = await craft([{ name: 'hello.txt', body: 'hi' }]);
  const result = await unpackLayer(Readable.from([gzipSync(data)]), target, { expectedDiffId: sha256Digest(data) });
  assert.is(result.diffId, sha256Digest(data));
  assert.is(readFileSync(join(target, 'hello.txt'), 'utf8'), 'hi');
});

test('a diff_id mismatch is an error', async () => {
  const data = await craft([{ name: 'a', body: 'x' }]);
  try {
    await unpackLayer(Readable.from([data]), target, { expectedDiffId: sha256Digest('other') });
    assert.unreachable('should fail');
  } catch (error) {
    assert.is((error as DropshipError).code, 'LAYER_DIFFID_MISMATCH');
  }
});

test('entries escaping the root are refused, naming the entry', async () => {
  await refused(await craft([{ name: '../evil', body: 'x' }]), "layer entry '../evil' refused: '..' in the path");
  await refused(await craft([{ name: 'a/../../evil', body: 'x' }]), "layer entry 'a/../../evil' refused: '..' in the path");
  await refused(await craft([{ name: '/etc/evil', body: 'x' }]), "layer entry '/etc/evil' refused: absolute path");
  await refused(
    await craft([{ name: 'pw', type: 'link', linkname: '../../etc/passwd' }]),
    "layer entry 'pw' refused: '..' in link target '../../etc/passwd'",
  );
  assert.not.ok(existsSync(join(dir, 'evil')));
});

test('writing through a symlink is refused and nothing lands outside', async () => {
  const outside = join(dir, 'outside');
  await mkdir(outside);
  const data = await craft([
    { name: 'escape', type: 'symlink', linkname: outside },
    { name: 'escape/owned', body: 'pwned' },
  ]);
  await refused(data, "layer entry 'escape/owned' refused: its parent escape is a symlink, and writing through it could leave the root");
  assert.equal(await readdir(outside), []);
  const relative = await craft([
    { name: 'up', type: 'symlink', linkname: '../..' },
    { name: 'up/tmp/x', body: 'pwned' },
  ]);
  await rm(target, { recursive: true });
  await mkdir(target);
  await refused(relative, "layer entry 'up/tmp/x' refused: its parent up is a symlink, and writing through it could leave the root");
});

test('an entry replacing a symlink replaces the link, not what it points at', async () => {
  const outside = join(dir, 'victim');
  await writeFile(outside, 'safe');
  const data = await craft([
    { name: 'f', type: 'symlink', linkname: outside },
    { name: 'f', body: 'new' },
  ]);
  await unpackLayer(Readable.from([data]), target);
  assert.is(readFileSync(outside, 'utf8'), 'safe');
  assert.is(readFileSync(join(target, 'f'), 'utf8'), 'new');
});

test('apply mode: whiteouts delete, an opaque marker keeps only this layer\'s children', async () => {
  await mkdir(join(target, 'gone'), { recursive: true });
  await writeFile(join(target, 'gone/file'), 'old');
  await mkdir(join(target, 'opq'));
  await writeFile(join(target, 'opq/old'), 'old');
  const data = await craft([
    { name: '.wh.gone', body: '' },
    { name: 'opq/new', body: 'new' },
    { name: 'opq/.wh..wh..opq', body: '' },
  ]);
  await unpackLayer(Readable.from([data]), target, { whiteouts: 'apply' });
  assert.not.ok(existsSync(join(target, 'gone')));
  assert.equal(await readdir(join(target, 'opq')), ['new']);
});

test('later entries win: a removed path takes its pending metadata with it, a new entry supersedes a whiteout', async () => {
  const data = packEntries([
    { name: 'd/', type: 'directory', mode: 0o755, uid: 0, gid: 0 },
    { name: 'd/f', type: 'file', mode: 0o644, uid: 0, gid: 0, body: 'x', xattrs: { 'user.note': Buffer.from('old') } },
    { name: 'd', type: 'file', mode: 0o644, uid: 0, gid: 0, body: 'now a file' },
    { name: 'e/', type: 'directory', mode: 0o755, uid: 0, gid: 0 },
    { name: 'e/.wh.g', type: 'file', mode: 0o644, uid: 0, gid: 0, body: '' },
    { name: 'e/g', type: 'file', mode: 0o644, uid: 0, gid: 0, body: 'back' },
  ], { mtime: 1_000_000_000 });
  await unpackLayer(data, target);
  assert.is(readFileSync(join(target, 'd'), 'utf8'), 'now a file');
  assert.is(readFileSync(join(target, 'e/g'), 'utf8'), 'back');
  assert.is(lstatSync(join(target, 'e')).mtimeMs, 1_000_000_000_000);
});

test('errors name the layer given by the caller, or its diff_id', async () => {
  const data = await craft([{ name: '../evil', body: 'x' }]);
  await refused(data, "layer sha256:abc entry '../evil' refused: '..' in the path", { label: 'layer sha256:abc' });
  const digest = sha256Digest(data);
  await refused(data, `layer ${digest} entry '../evil' refused: '..' in the path`, { expectedDiffId: digest });
});

test('devices and fifos are skipped with a reason', async () => {
  const data = await craft([
    { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3 },
    { name: 'ok', body: 'x' },
  ]);
  const result = await unpackLayer(Readable.from([data]), target);
  assert.not.ok(existsSync(join(target, 'dev/null')));
  assert.equal(result.skipped, ['dev/null: character-device entries are not unpacked (the runtime provides /dev)']);
});

test('user xattrs survive pack and unpack', async () => {
  const data = packEntries([
    { name: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0, body: 'x', xattrs: { 'user.note': Buffer.from('hello') } },
  ]);
  const result = await unpackLayer(data, target);
  assert.equal(result.skipped, []);
  const out = execFileSync('getfattr', ['--absolute-names', '-n', 'user.note', '--only-values', join(target, 'f')], { encoding: 'utf8' });
  assert.is(out, 'hello');
});

test('overlay mode: whiteouts become 0/0 char devices, opaque dirs get trusted.overlay.opaque (root)', async () => {
  if (skipUnlessRoot('overlay whiteouts need root (mknod, trusted.* xattrs)')) return;
  const data = await craft([
    { name: 'etc/.wh.motd', body: '' },
    { name: 'var/cache/.wh..wh..opq', body: '' },
  ]);
  await unpackLayer(Readable.from([data]), target, { idMap });
  const wh = lstatSync(join(target, 'etc/motd'));
  assert.ok(wh.isCharacterDevice());
  assert.is(wh.rdev, 0);
  const opaque = execFileSync('getfattr', ['--absolute-names', '-n', 'trusted.overlay.opaque', '--only-values', join(target, 'var/cache')], { encoding: 'utf8' });
  assert.is(opaque, 'y');
});

test('ids are shifted into the map; an id outside it is an error naming the entry (root)', async () => {
  if (skipUnlessRoot('shifting ids needs root (lchown)')) return;
  const data = await craft([
    { name: 'home/vcap/', type: 'directory', uid: 2000, gid: 2000, mode: 0o755 },
    { name: 'home/vcap/app', body: 'x', uid: 2000, gid: 2000 },
    { name: 'bin/sh', type: 'symlink', linkname: 'busybox', uid: 0, gid: 0 },
  ]);
  await unpackLayer(Readable.from([data]), target, { idMap });
  assert.is(lstatSync(join(target, 'home/vcap/app')).uid, 1_002_000);
  assert.is(lstatSync(join(target, 'home/vcap')).gid, 1_002_000);
  assert.is(lstatSync(join(target, 'home')).uid, 1_000_000);
  assert.is(lstatSync(join(target, 'bin/sh')).uid, 1_000_000);
  try {
    await unpackLayer(Readable.from([await craft([{ name: 'big', body: 'x', uid: 70000 }])]), target, { idMap });
    assert.unreachable('should fail');
  } catch (error) {
    assert.is((error as DropshipError).code, 'UNPACK_UNMAPPED_ID');
    assert.match((error as DropshipError).message, "layer entry 'big': uid 70000 is outside the container's id map");
  }
});

test('ensureUnpacked unpacks once, atomically, even when asked twice at once (root)', async () => {
  if (skipUnlessRoot('the unpack cache shifts ids, which needs root')) return;
  const home = homePaths(dir);
  const src = join(dir, 'src');
  await mkdir(join(src, 'etc'), { recursive: true });
  await writeFile(join(src, 'etc/hostname'), 'box\n');
  const layer = await writeLayer(src, openStore(home));
  const [a, b] = await Promise.all([ensureUnpacked(layer.diffId, idMap, home), ensureUnpacked(layer.diffId, idMap, home)]);
  assert.is(a, b);
  assert.is(readFileSync(join(a, 'etc/hostname'), 'utf8'), 'box\n');
  assert.is(lstatSync(a).uid, 1_000_000);
  assert.equal((await readdir(home.unpacked)).filter((n) => n.startsWith('.tmp')), []);
  assert.equal((await listUnpacked(home)).map((u) => u.diffIdHex), [layer.diffId.slice(7)]);
  assert.is(await ensureUnpacked({ ...layer.descriptor, diffId: layer.diffId }, idMap, home), a);
});

test('a tampered layer blob fails the unpack with the store\'s error and leaves no directory (root)', async () => {
  if (skipUnlessRoot('the unpack cache shifts ids, which needs root')) return;
  const home = homePaths(dir);
  const src = join(dir, 'src');
  await mkdir(join(src, 'etc'), { recursive: true });
  for (let i = 0; i < 200; i++) await writeFile(join(src, 'etc', `f${i}`), `file ${i}\n`);
  const layer = await writeLayer(src, openStore(home));
  const blobPath = openStore(home).blobs.path(layer.diffId);
  const bytes = readFileSync(blobPath);
  bytes[bytes.indexOf('file 150')] = 0x46;
  await writeFile(blobPath, bytes);
  try {
    await ensureUnpacked(layer.diffId, idMap, home);
    assert.unreachable('should fail');
  } catch (error) {
    assert.is((error as DropshipError).code, 'BLOB_CORRUPT');
    assert.match((error as DropshipError).message, layer.diffId);
  }
  assert.equal(await readdir(home.unpacked), []);
});

test.run();
