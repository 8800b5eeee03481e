import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { drain } from '../../helpers/assert.js';
import { BlobStore } from '../../../src/oci/cas.js';
import { sha256Digest, type Digest } from '../../../src/oci/digest.js';

let dir = '';
let store: BlobStore;

test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dropship-cas-'));
  store = new BlobStore(dir);
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, DropshipError);
    return (error as DropshipError).code;
  }
  return 'no error';
}

test('writeBytes stores under the sha256 of the content and reads back verified', async () => {
  const blob = await store.writeBytes('hello');
  assert.is(blob.digest, sha256Digest('hello'));
  assert.is(blob.size, 5);
  assert.ok(blob.written);
  assert.ok(await store.has(blob.digest));
  assert.is((await drain(await store.openRead(blob))).toString(), 'hello');
  assert.equal(await store.list(), [blob.digest]);
});

test('writing a blob the store has does not rewrite it and leaves no temp file', async () => {
  await store.writeBytes('same');
  const again = await store.writeBytes('same');
  assert.is(again.written, false);
  assert.equal(await readdir(join(dir, '.tmp')), []);
});

test('writeStream rejects a digest mismatch and keeps nothing', async () => {
  const wrong = sha256Digest('other');
  const code = await codeOf(store.writeStream(Readable.from([Buffer.from('data')]), { expectedDigest: wrong }));
  assert.is(code, 'BLOB_DIGEST_MISMATCH');
  assert.equal(await store.list(), []);
  assert.equal(await readdir(join(dir, '.tmp')), []);
});

test('writeStream rejects a size mismatch, both too long and too short', async () => {
  assert.is(await codeOf(store.writeStream(Readable.from([Buffer.from('data')]), { expectedSize: 3 })), 'BLOB_SIZE_MISMATCH');
  assert.is(await codeOf(store.writeStream(Readable.from([Buffer.from('data')]), { expectedSize: 5 })), 'BLOB_SIZE_MISMATCH');
  assert.equal(await store.list(), []);
});

test('a tampered blob errors while streaming, naming the blob', async () => {
  const blob = await store.writeBytes('original');
  await writeFile(store.path(blob.digest), 'tampered');
  try {
    await drain(await store.openRead(blob));
    assert.unreachable('should fail');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as DropshipError).code, 'BLOB_CORRUPT');
    assert.match((error as DropshipError).message, `blob ${blob.digest}`);
    assert.match((error as DropshipError).message, 'content hashes to sha256:');
  }
});

test('openRead rejects a malformed descriptor before opening anything', async () => {
  const bad = { digest: 'sha256:../../etc/passwd' as Digest, size: 1 };
  assert.is(await codeOf(store.openRead(bad)), 'INVALID_DIGEST');
  assert.is(await codeOf(store.openRead({ digest: sha256Digest('x'), size: -1 })), 'INVALID_DESCRIPTOR');
});

test('openRead of a missing blob and of a wrong size', async () => {
  assert.is(await codeOf(store.openRead({ digest: sha256Digest('absent'), size: 6 })), 'BLOB_MISSING');
  const blob = await store.writeBytes('four');
  assert.is(await codeOf(store.openRead({ digest: blob.digest, size: 5 })), 'BLOB_SIZE_MISMATCH');
});

test('readJson parses a verified blob; remove deletes it', async () => {
  const blob = await store.writeJson({ a: 1 });
  assert.equal(await store.readJson(blob), { a: 1 });
  await store.remove(blob.digest);
  assert.is(await store.has(blob.digest), false);
  assert.is(await readFile(store.path(blob.digest)).catch(() => 'gone'), 'gone');
});

test.run();
