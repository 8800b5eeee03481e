import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, link, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BlobStore } from '../../../src/oci/cas.js';
import { drain } from '../../helpers/assert.js';
import { writeLayer } from '../../../src/oci/layer-write.js';
import { MediaType } from '../../../src/oci/media-types.js';
import { DEFAULT_MTIME, packDirectory, packEntries } from '../../../src/oci/tar-write.js';

let dir = '';
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dropship-tar-'));
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Listed {
  header: tar.Header;
  body: Buffer;
}

async function list(data: Buffer): Promise<Listed[]> {
  const extract = tar.extract();
  const out: Listed[] = [];
  const feed = (async () => {
    extract.end(data);
  })();
  for await (const entry of extract) {
    out.push({ header: entry.header, body: await drain(entry) });
  }
  await feed;
  return out;
}

async function makeTree(root: string): Promise<void> {
  await mkdir(join(root, 'b/sub'), { recursive: true });
  await mkdir(join(root, 'a'));
  await writeFile(join(root, 'a/file.txt'), 'hello\n');
  await chmod(join(root, 'a/file.txt'), 0o640);
  await writeFile(join(root, 'b/sub/big'), Buffer.alloc(3 * 1024 * 1024, 7));
  await link(join(root, 'a/file.txt'), join(root, 'b/hard'));
  await symlink('../a/file.txt', join(root, 'b/sym'));
  await symlink('/etc/passwd', join(root, 'abs-link'));
  const long = 'd'.repeat(120);
  await mkdir(join(root, long));
  await writeFile(join(root, long, 'f'.repeat(110)), 'x');
  await utimes(join(root, 'a/file.txt'), 1_700_000_000, 1_700_000_000);
}

test('packDirectory: lexical order, parents first, fixed mtime, links and symlinks kept', async () => {
  await makeTree(dir);
  const entries = await list(await drain(packDirectory(dir)));
  const names = entries.map((e) => e.header.name);
  const long = 'd'.repeat(120);
  assert.equal(names, ['a/', 'a/file.txt', 'abs-link', 'b/', 'b/hard', 'b/sub/', 'b/sub/big', 'b/sym', `${long}/`, `${long}/${'f'.repeat(110)}`]);
  for (const e of entries) {
    assert.is(e.header.mtime!.getTime() / 1000, DEFAULT_MTIME, e.header.name);
    assert.is(e.header.uname ?? '', '');
    assert.is(e.header.gname ?? '', '');
  }
  const byName = new Map(entries.map((e) => [e.header.name, e]));
  assert.is(byName.get('a/file.txt')!.body.toString(), 'hello\n');
  assert.is(byName.get('a/file.txt')!.header.mode! & 0o7777, 0o640);
  assert.is(byName.get('b/hard')!.header.type, 'link');
  assert.is(byName.get('b/hard')!.header.linkname, 'a/file.txt');
  assert.is(byName.get('b/sym')!.header.type, 'symlink');
  assert.is(byName.get('b/sym')!.header.linkname, '../a/file.txt');
  assert.is(byName.get('abs-link')!.header.linkname, '/etc/passwd');
  assert.is(byName.get('b/sub/big')!.body.length, 3 * 1024 * 1024);
  assert.is(byName.get(`${long}/${'f'.repeat(110)}`)!.body.toString(), 'x');
});

test('packDirectory is byte-for-byte reproducible and honours SOURCE_DATE_EPOCH', async () => {
  await makeTree(dir);
  const first = await drain(packDirectory(dir));
  await utimes(join(dir, 'a/file.txt'), 1_600_000_000, 1_600_000_000);
  const second = await drain(packDirectory(dir));
  assert.ok(first.equals(second));
  const epoch = await drain(packDirectory(dir, { mtime: 1_234_567_890 }));
  assert.not.ok(first.equals(epoch));
  assert.is((await list(epoch))[0]!.header.mtime!.getTime() / 1000, 1_234_567_890);
});

test('packDirectory output is read by GNU tar', async () => {
  await makeTree(dir);
  const file = join(dir, '..', `${dir.split('/').pop()}.tar`);
  try {
    await writeFile(file, await drain(packDirectory(dir)));
    const listing = execFileSync('tar', ['-tvf', file], { encoding: 'utf8' });
    assert.match(listing, 'b/hard link to a/file.txt');
    assert.match(listing, 'b/sym -> ../a/file.txt');
    assert.match(listing, `${'d'.repeat(120)}/${'f'.repeat(110)}`);
  } finally {
    await rm(file, { force: true });
  }
});

test('prefix and owner override: parents root-owned, everything else the given owner', async () => {
  await mkdir(join(dir, 'app'));
  await writeFile(join(dir, 'app/index.js'), 'x');
  const entries = await list(await drain(packDirectory(dir, { prefix: 'home/vcap/', owner: { uid: 2000, gid: 2000 } })));
  assert.equal(
    entries.map((e) => [e.header.name, e.header.uid, e.header.gid]),
    [
      ['home/', 0, 0],
      ['home/vcap/', 2000, 2000],
      ['home/vcap/app/', 2000, 2000],
      ['home/vcap/app/index.js', 2000, 2000],
    ],
  );
});

test('packEntries writes binary xattrs as PAX records and extra entries', async () => {
  const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0x20, 0x00, 0x00, 0xff]);
  const data = await drain(packEntries([{ name: 'bin/ping', type: 'file', mode: 0o755, uid: 0, gid: 0, body: 'elf', xattrs: { 'security.capability': cap } }]));
  const paxStart = data.indexOf('SCHILY.xattr.security.capability=');
  assert.ok(paxStart > 0);
  const valueStart = paxStart + 'SCHILY.xattr.security.capability='.length;
  assert.ok(data.subarray(valueStart, valueStart + cap.length).equals(cap));
  const entries = await list(data);
  assert.is(entries.length, 1);
  assert.is(entries[0]!.header.name, 'bin/ping');
  assert.is(entries[0]!.body.toString(), 'elf');
});

test('writeLayer: uncompressed digest is the diff_id; gzip digest differs, diff_id the same', async () => {
  await makeTree(dir);
  const storeDir = await mkdtemp(join(tmpdir(), 'dropship-layer-'));
  try {
    const store = new BlobStore(storeDir);
    const plain = await writeLayer(dir, store);
    assert.is(plain.descriptor.mediaType, MediaType.layer);
    assert.is(plain.descriptor.digest, plain.diffId);
    const tarBytes = await readFile(store.path(plain.diffId));
    assert.is(`sha256:${createHash('sha256').update(tarBytes).digest('hex')}`, plain.diffId);
    assert.is((await writeLayer(dir, { blobs: store })).written, false);

    const gz = await writeLayer(dir, store, { compress: true });
    assert.is(gz.descriptor.mediaType, MediaType.layerGzip);
    assert.is(gz.diffId, plain.diffId);
    assert.is.not(gz.descriptor.digest, plain.diffId);
    assert.ok(gunzipSync(await readFile(store.path(gz.descriptor.digest))).equals(tarBytes));
  } finally {
    await rm(storeDir, { recursive: true, force: true });
  }
});

test.run();
