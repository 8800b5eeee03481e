import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { secureStore, storeModeFor } from '../../src/store-modes.js';

const mode = async (path: string) => ((await stat(path)).mode & 0o7777).toString(8);

test('only containers/ is traversable by others; everything else at the top is private', () => {
  assert.is(storeModeFor('containers'), 0o711);
  for (const name of ['unpacked', 'oci', 'apps', 'network', 'cache', 'tmp', 'buildpacks', 'stacks', 'locks', 'something-new']) {
    assert.is(storeModeFor(name), 0o700, name);
  }
});

test('an existing store with wide modes is tightened; a fresh one is created with the modes', async () => {
  const parent = await mkdtemp(join(tmpdir(), 'dropship-store-modes-'));
  try {
    const root = join(parent, 'home');
    for (const dir of ['', 'oci', 'unpacked', 'network', 'apps', 'containers', 'containers/dropship-old', 'extra']) {
      await mkdir(join(root, dir), { recursive: true });
      await chmod(join(root, dir), 0o777);
    }
    await writeFile(join(root, 'auth.json'), '{}', { mode: 0o644 });
    await chmod(join(root, 'auth.json'), 0o644);
    await secureStore(root);
    assert.is(await mode(root), '711');
    assert.is(await mode(join(root, 'containers')), '711');
    assert.is(await mode(join(root, 'containers/dropship-old')), '770', 'a leftover bundle loses its "other" bits');
    for (const dir of ['oci', 'unpacked', 'network', 'apps', 'extra', 'cache', 'tmp', 'stacks', 'locks', 'buildpacks']) {
      assert.is(await mode(join(root, dir)), '700', dir);
    }
    assert.is(await mode(join(root, 'auth.json')), '600');
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});

test.run();
