import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { restoreCache } from '../../../src/cnb/cache.js';

test('buildpack.md "Layer Types": a layer\'s SBOM comes back with its toml; launch. and build. SBOMs never do', async () => {
  const root = await mkdtemp(join(tmpdir(), 'cnb-cache-'));
  try {
    const bp = join(root, 'layers', 'x_y');
    await mkdir(join(bp, 'cached'), { recursive: true });
    await writeFile(join(bp, 'cached.toml'), '[types]\ncache = true\n');
    await writeFile(join(bp, 'kept.toml'), '[types]\nlaunch = true\n');
    await writeFile(join(bp, 'gone.toml'), '[types]\nbuild = true\n');
    for (const layer of ['cached', 'kept', 'gone', 'launch', 'build', 'nolayer']) await writeFile(join(bp, `${layer}.sbom.cdx.json`), '{}');
    await writeFile(join(root, 'layers.json'), JSON.stringify({ 'x_y/kept': { digest: 'sha256:00', diffId: 'sha256:00', size: 1 } }));
    await restoreCache(root, { uid: process.getuid!(), gid: process.getgid!() }, false);
    assert.equal((await readdir(bp)).sort(), ['cached', 'cached.sbom.cdx.json', 'cached.toml', 'kept.sbom.cdx.json', 'kept.toml']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
