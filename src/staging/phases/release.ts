import { DropshipError } from '../../errors.js';
import { CONTAINER } from '../layout.js';
import { stepFailure } from '../failure.js';
import type { PlannedBuildpack } from '../plan.js';
import { parseReleaseYaml, type ReleaseInfo } from '../release.js';
import type { StepRunner } from '../runner.js';
import { afterExports } from './build.js';
import type { Limits } from './limits.js';

/** `bin/release <build>` of one buildpack: its YAML stdout. */
async function releaseOne(runner: StepRunner, plan: PlannedBuildpack[], index: number, limits: Limits): Promise<ReleaseInfo> {
  const planned = plan[index]!;
  const outcome = await runner.run({
    step: 'release',
    buildpack: planned.buildpack.name,
    args: afterExports(plan, index, [`${planned.mount}/bin/release`, CONTAINER.build]),
    captureStdout: true,
  });
  if (outcome.exitCode !== 0 || outcome.timedOut || outcome.outputExceeded) {
    throw stepFailure({ step: 'release', buildpack: planned.buildpack.name, exit: outcome, tail: outcome.tail, limits });
  }
  try {
    return parseReleaseYaml(outcome.stdout, `bin/release of buildpack '${planned.buildpack.name}'`);
  } catch (error) {
    if (!(error instanceof DropshipError)) throw error;
    throw new DropshipError('BUILDPACK_RELEASE_FAILED', `Failed to build droplet release: ${error.message}`, {
      hint: error.hint,
      exitCode: 224,
      cause: error,
      details: { buildpack: planned.buildpack.name, step: 'release', tail: outcome.tail },
    });
  }
}

/**
 * The release of the final buildpack and, as on Heroku, of every Heroku-style buildpack before it:
 * process types and config vars merged in buildpack order, the last buildpack winning per name.
 * A buildpack without bin/release releases nothing.
 */
export async function release(runner: StepRunner, plan: PlannedBuildpack[], limits: Limits): Promise<ReleaseInfo> {
  const merged: ReleaseInfo = { defaultProcessTypes: {}, configVars: {} };
  for (const [i, planned] of plan.entries()) {
    if (!planned.has.release || !(planned.final || planned.herokuChain)) continue;
    const info = await releaseOne(runner, plan, i, limits);
    Object.assign(merged.defaultProcessTypes, info.defaultProcessTypes);
    Object.assign(merged.configVars, info.configVars);
  }
  return merged;
}
