import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeStreamAtomic } from '../../src/util/atomic-stream.js';
import { isDirectory, isFile, readdirIfExists, readTextIfExists } from '../../src/util/fs.js';
import { rejects } from '../helpers/assert.js';

let dir = '';
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dropship-util-fs-'));
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a missing folder or file reads as empty, other failures are thrown', async () => {
  assert.equal(await readdirIfExists(join(dir, 'nope')), []);
  assert.is(await readTextIfExists(join(dir, 'nope.txt')), undefined);
  await writeFile(join(dir, 'a.txt'), 'hello');
  assert.equal(await readdirIfExists(dir), ['a.txt']);
  assert.is(await readTextIfExists(join(dir, 'a.txt')), 'hello');
  await rejects(() => readdirIfExists(join(dir, 'a.txt')), /ENOTDIR/);
  await rejects(() => readTextIfExists(dir), /EISDIR/);
});

test('isFile and isDirectory tell the kinds apart and say false for what is not there', async () => {
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'f'), '');
  assert.equal([await isFile(join(dir, 'f')), await isFile(join(dir, 'sub')), await isFile(join(dir, 'x'))], [true, false, false]);
  assert.equal([await isDirectory(join(dir, 'sub')), await isDirectory(join(dir, 'f')), await isDirectory(join(dir, 'x'))], [true, false, false]);
});

test('writeStreamAtomic renames into place on success and leaves nothing on failure', async () => {
  const target = join(dir, 'deep', 'out.bin');
  await writeStreamAtomic(target, (out) => pipeline(Readable.from([Buffer.from('one'), Buffer.from('two')]), out));
  assert.is(await readFile(target, 'utf8'), 'onetwo');
  const failing = Readable.from(
    (async function* () {
      yield Buffer.from('partial');
      throw new Error('source broke');
    })(),
  );
  await rejects(() => writeStreamAtomic(target, (out) => pipeline(failing, out)), /source broke/);
  assert.is(await readFile(target, 'utf8'), 'onetwo', 'the old content stays');
  assert.equal(await readdir(join(dir, 'deep')), ['out.bin'], 'no temp file is left');
});

test.run();
