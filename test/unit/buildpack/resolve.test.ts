import { chmod, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { builtinBuildpacksDir, detectOrder, requireExecutable, resolveBuildpack } from '../../../src/buildpack/index.js';
import { FIXTURE_BUILDPACKS, packTgz, packZip, rejects } from './helpers.js';

test('-b values: built-in name, directory, .tgz, .zip', async () => {
  const home = await mkdtemp(join(tmpdir(), 'dropship-res-'));
  const scratch = join(home, 'scratch');
  try {
    const builtin = await resolveBuildpack('staticfile', 0, { home, scratchDir: scratch });
    assert.equal({ key: builtin.key, source: builtin.source, dir: builtin.dir }, { key: 'staticfile', source: 'builtin', dir: join(builtinBuildpacksDir(), 'staticfile') });
    const dir = await resolveBuildpack(join(FIXTURE_BUILDPACKS, 'final-finalize'), 1, { home, scratchDir: scratch });
    assert.equal({ name: dir.name, version: dir.version, source: dir.source }, { name: 'final-finalize', version: '2.1.0', source: 'directory' });
    const tgz = await resolveBuildpack(packTgz('final-finalize', join(home, 'bp.tgz')), 2, { home, scratchDir: scratch });
    assert.equal({ name: tgz.name, source: tgz.source, dir: tgz.dir }, { name: 'final-finalize', source: 'archive', dir: join(scratch, 'bp-2', 'final-finalize') });
    const zip = await resolveBuildpack(packZip('supply-tool', join(home, 'bp.zip')), 3, { home, scratchDir: scratch });
    assert.equal({ name: zip.name, dir: zip.dir }, { name: 'supply-tool', dir: join(scratch, 'bp-3') });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('an unknown name says what is known', async () => {
  const home = await mkdtemp(join(tmpdir(), 'dropship-res-'));
  try {
    const error = await rejects(() => resolveBuildpack('nosuch', 0, { home, scratchDir: home }), /buildpack 'nosuch' is neither a known name nor an existing path/);
    assert.match((error as { hint?: string }).hint!, /known buildpacks: staticfile/);
    await rejects(() => resolveBuildpack(FIXTURE_BUILDPACKS, 0, { home, scratchDir: home }), /has no bin\/ directory/);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('the detect order keeps only buildpacks for the stack', async () => {
  const home = await mkdtemp(join(tmpdir(), 'dropship-res-'));
  try {
    const tiny = (await detectOrder('tiny', home)).map((b) => b.name);
    assert.ok(tiny.includes('staticfile'));
    assert.not.ok((await detectOrder('other-stack', home)).some((b) => b.name === 'staticfile'));
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('missing or non-executable scripts are named with the fix', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-res-'));
  try {
    await cp(join(FIXTURE_BUILDPACKS, 'legacy-compile'), join(dir, 'bp'), { recursive: true });
    const bp = { key: 'k', name: 'legacy', version: '', stacks: [], source: 'directory' as const, dir: join(dir, 'bp') };
    await rejects(() => requireExecutable(bp, 'bin/finalize', 'the final buildpack runs'), /buildpack 'legacy' has no bin\/finalize .*which the final buildpack runs/);
    await chmod(join(dir, 'bp', 'bin', 'detect'), 0o700);
    const error = await rejects(() => requireExecutable(bp, 'bin/detect', 'detection runs'), /bin\/detect is not executable by the staging user \(mode 0700\)/);
    assert.match((error as { hint?: string }).hint!, /^chmod a\+rx /);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
