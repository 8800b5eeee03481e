import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readBuildpackMetadata, type Buildpack } from '../../../src/buildpack/index.js';
import { planBuildpacks, supplyCacheKey } from '../../../src/staging/plan.js';

const FIXTURES = new URL('../../../fixtures/buildpacks/', import.meta.url).pathname;

async function bp(name: string): Promise<Buildpack> {
  const dir = join(FIXTURES, name);
  const meta = await readBuildpackMetadata(dir);
  return { key: dir, ...meta, source: 'directory', dir };
}

async function failure(fn: () => Promise<unknown>): Promise<{ message: string; exitCode: number }> {
  try {
    await fn();
  } catch (error) {
    return error as { message: string; exitCode: number };
  }
  throw new Error('expected a failure');
}

test('all but the last supply, the last finalizes; deps indexes, mounts and cache keys', async () => {
  const plan = await planBuildpacks([await bp('supply-tool'), await bp('final-finalize')]);
  assert.equal(plan.map((p) => [p.buildpack.name, p.mount, p.depsIdx, p.final]), [
    ['supply-tool', '/tmp/buildpacks/0', '0', false],
    ['final-finalize', '/tmp/buildpacks/1', '1', true],
  ]);
  assert.is(plan[0]!.cacheKey, supplyCacheKey(join(FIXTURES, 'supply-tool')));
  assert.is(plan[1]!.cacheKey, 'final');
  assert.equal(plan[1]!.has, { supply: true, finalize: true, compile: false, release: true });
});

test('a buildpack before the last with neither bin/supply nor bin/compile: Cloud Foundry’s message, exit 225', async () => {
  const error = await failure(async () => planBuildpacks([await bp('finalize-only'), await bp('final-finalize')]));
  assert.match(error.message, /one of the buildpacks chosen to supply dependencies does not support multi-buildpack apps/);
  assert.is(error.exitCode, 225);
});

test('a buildpack before the last with bin/compile and no bin/supply runs Heroku-style; supply ones do not', async () => {
  const plan = await planBuildpacks([await bp('supply-tool'), await bp('legacy-compile'), await bp('final-finalize')]);
  assert.equal(plan.map((p) => [p.buildpack.name, p.herokuChain, p.final]), [
    ['supply-tool', false, false],
    ['legacy-compile', true, false],
    ['final-finalize', false, true],
  ]);
  assert.is(plan[1]!.cacheKey, supplyCacheKey(join(FIXTURES, 'legacy-compile')));
});

test('a final buildpack with neither finalize nor compile: exit 223', async () => {
  const error = await failure(async () => planBuildpacks([await bp('supply-tool')]));
  assert.is(error.message, "buildpack 'supply-tool' has neither bin/finalize nor bin/compile, so it cannot be the final buildpack");
  assert.is(error.exitCode, 223);
});

test('legacy compile as the final buildpack; a detected winner keeps its mount', async () => {
  const [planned] = await planBuildpacks([await bp('legacy-compile')], 4);
  assert.equal(planned!.has, { supply: false, finalize: false, compile: true, release: true });
  assert.is(planned!.mount, '/tmp/buildpacks/4');
  assert.is(planned!.depsIdx, '0');
});

test.run();
