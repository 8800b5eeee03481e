import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readBuildpackMetadata } from '../../../src/buildpack/index.js';

test('a directory with buildpack.toml is a CNB: its id, version and API describe it; others are v2', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cnb-meta-'));
  try {
    assert.equal(await readBuildpackMetadata(dir), { name: dir.split('/').pop(), version: '', stacks: [], api: 'v2' });
    await writeFile(join(dir, 'buildpack.toml'), 'api = "0.11"\n[buildpack]\nid = "samples/hello"\nversion = "0.0.2"\n[[stacks]]\nid = "*"\n');
    assert.equal(await readBuildpackMetadata(dir), { name: 'samples/hello', version: '0.0.2', stacks: [], api: '0.11' });
    await writeFile(join(dir, 'buildpack.toml'), 'api = \n');
    await readBuildpackMetadata(dir).then(() => assert.unreachable('accepted bad TOML'), (e: Error) => assert.match(e.message, /buildpack\.toml: not valid TOML/));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
