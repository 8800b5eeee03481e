import { createHash } from 'node:crypto';
import { hasFile, requireExecutable, type Buildpack } from '../buildpack/index.js';
import { DropshipError } from '../errors.js';
import { buildpackMount, depsIndex } from './layout.js';

/** A buildpack in this staging: where it is mounted and which directories it gets. */
export interface PlannedBuildpack {
  buildpack: Buildpack;
  /** Container path of the buildpack (read-only mount). */
  mount: string;
  depsIdx: string;
  /** Sub-directory of the app cache: `final`, or a digest of the key for supply buildpacks. */
  cacheKey: string;
  final: boolean;
  /**
   * Runs Heroku-style before the last buildpack: `bin/compile` (no `bin/supply`), its `export`
   * sourced by every later step, its `bin/release` process types merged under the later ones.
   */
  herokuChain: boolean;
  has: { supply: boolean; finalize: boolean; compile: boolean; release: boolean };
}

export function supplyCacheKey(buildpackKey: string): string {
  return createHash('sha256').update(buildpackKey).digest('hex').slice(0, 32);
}

async function scripts(bp: Buildpack): Promise<PlannedBuildpack['has']> {
  const [supply, finalize, compile, release] = await Promise.all(
    ['bin/supply', 'bin/finalize', 'bin/compile', 'bin/release'].map((s) => hasFile(bp.dir, s)),
  );
  return { supply: supply!, finalize: finalize!, compile: compile!, release: release! };
}

/**
 * Named buildpacks: all but the last supply (Cloud Foundry) or compile (Heroku: a buildpack with
 * bin/compile and no bin/supply), the last finalizes (or compiles). Checked before any container
 * starts, so a wrong buildpack fails in milliseconds with the reason.
 */
export async function planBuildpacks(buildpacks: Buildpack[], mountBase = 0): Promise<PlannedBuildpack[]> {
  const planned: PlannedBuildpack[] = [];
  for (const [i, bp] of buildpacks.entries()) {
    const final = i === buildpacks.length - 1;
    const has = await scripts(bp);
    const herokuChain = !final && !has.supply && has.compile;
    if (herokuChain) {
      await requireExecutable(bp, 'bin/compile', 'a buildpack before the last one runs (Heroku-style, it has no bin/supply)');
      if (has.release) await requireExecutable(bp, 'bin/release', 'a Heroku-style buildpack runs after bin/compile');
    } else if (!final) {
      if (!has.supply) {
        throw new DropshipError('BUILDPACK_NOT_SUPPLY', `buildpack '${bp.name}' is not the last one named, but one of the buildpacks chosen to supply dependencies does not support multi-buildpack apps: it has neither bin/supply nor bin/compile`, {
          hint: `name '${bp.name}' last (it becomes the final buildpack), or use a buildpack with bin/supply (Cloud Foundry) or bin/compile (Heroku)`,
          exitCode: 225,
          details: { buildpack: bp.key, step: 'supply' },
        });
      }
      await requireExecutable(bp, 'bin/supply', 'a supply buildpack runs');
    } else {
      if (has.finalize) {
        await requireExecutable(bp, 'bin/finalize', 'the final buildpack runs');
        if (has.supply) await requireExecutable(bp, 'bin/supply', 'the final buildpack runs before bin/finalize');
      } else if (has.compile) {
        await requireExecutable(bp, 'bin/compile', 'the final buildpack runs');
      } else {
        throw new DropshipError('BUILDPACK_NOT_FINAL', `buildpack '${bp.name}' has neither bin/finalize nor bin/compile, so it cannot be the final buildpack`, {
          hint: 'name it before another buildpack (as a supply buildpack), or add bin/finalize',
          exitCode: 223,
          details: { buildpack: bp.key, step: 'finalize' },
        });
      }
      if (has.release) await requireExecutable(bp, 'bin/release', 'the final buildpack runs');
    }
    planned.push({
      buildpack: bp,
      mount: buildpackMount(mountBase + i),
      depsIdx: depsIndex(i, buildpacks.length),
      cacheKey: final ? 'final' : supplyCacheKey(bp.key),
      final,
      herokuChain,
      has,
    });
  }
  return planned;
}

/** Detect candidates must all have an executable bin/detect. */
export async function checkDetectable(buildpacks: Buildpack[]): Promise<void> {
  for (const bp of buildpacks) await requireExecutable(bp, 'bin/detect', 'detection runs (name a buildpack with -b to skip detection)');
}
