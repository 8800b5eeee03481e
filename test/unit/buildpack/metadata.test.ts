import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { builtinNames, readBuildpackMetadata } from '../../../src/buildpack/index.js';
import { FIXTURE_BUILDPACKS, rejects } from './helpers.js';

test('reads name, version and stacks from manifest.yml', async () => {
  assert.equal(await readBuildpackMetadata(join(FIXTURE_BUILDPACKS, 'final-finalize')), { name: 'final-finalize', version: '2.1.0', stacks: ['tiny', 'bookworm'], api: 'v2' });
});

test('a Cloud Foundry manifest: language, VERSION file, cf_stacks of dependencies', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-meta-'));
  try {
    await writeFile(join(dir, 'manifest.yml'), 'language: ruby\ndependencies:\n- name: a\n  cf_stacks: [cflinuxfs4]\n- name: b\n  cf_stacks: [cflinuxfs3, cflinuxfs4]\n');
    await writeFile(join(dir, 'VERSION'), '1.8.3\n');
    assert.equal(await readBuildpackMetadata(dir), { name: 'ruby', version: '1.8.3', stacks: ['cflinuxfs3', 'cflinuxfs4'], api: 'v2' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a bare directory is named after itself; broken YAML is an error naming the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-meta-'));
  try {
    await mkdir(join(dir, 'my-bp'));
    assert.equal(await readBuildpackMetadata(join(dir, 'my-bp')), { name: 'my-bp', version: '', stacks: [], api: 'v2' });
    await writeFile(join(dir, 'my-bp', 'manifest.yml'), 'name: [x\n');
    await rejects(() => readBuildpackMetadata(join(dir, 'my-bp')), /my-bp\/manifest.yml is not valid YAML/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('built-ins in their detect order', async () => {
  const names = await builtinNames();
  assert.equal(names.filter((n) => ['staticfile', 'procfile', 'binary'].includes(n)), ['staticfile', 'procfile', 'binary']);
  assert.is(names.at(-1) === 'binary' || names.indexOf('binary') > names.indexOf('procfile'), true);
});

test.run();
