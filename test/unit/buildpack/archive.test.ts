import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extractBuildpackArchive, sniffArchive } from '../../../src/buildpack/index.js';
import { packTgz, packZip, rejects } from './helpers.js';

test('a .tgz with one nested top directory: the root is that directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-arc-'));
  try {
    const file = packTgz('final-finalize', join(dir, 'bp.tgz'));
    assert.is(await sniffArchive(file), 'tgz');
    const root = await extractBuildpackArchive(file, join(dir, 'out'));
    assert.is(root, join(dir, 'out', 'final-finalize'));
    assert.ok(((await stat(join(root, 'bin', 'finalize'))).mode & 0o005) === 0o005);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a .zip with bin/ at the top, found by its bytes whatever its name', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-arc-'));
  try {
    const file = packZip('legacy-compile', join(dir, 'bp.zip'));
    const renamed = join(dir, 'download');
    await writeFile(renamed, await import('node:fs/promises').then((fs) => fs.readFile(file)));
    assert.is(await sniffArchive(renamed), 'zip');
    const root = await extractBuildpackArchive(renamed, join(dir, 'out'));
    assert.is(root, join(dir, 'out'));
    assert.ok((await stat(join(root, 'bin', 'compile'))).mode & 0o111);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('anything else is refused with what is accepted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-arc-'));
  try {
    await writeFile(join(dir, 'bp.tgz'), 'not an archive');
    await rejects(() => extractBuildpackArchive(join(dir, 'bp.tgz'), join(dir, 'out')), /bp.tgz is not a .tgz, .tar or .zip archive/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
