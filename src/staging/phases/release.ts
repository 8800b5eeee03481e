import { DropshipError } from '../../errors.js';
import { CONTAINER } from '../layout.js';
import { stepFailure } from '../failure.js';
import type { PlannedBuildpack } from '../plan.js';
import { parseReleaseYaml, type ReleaseInfo } from '../release.js';
import type { StepRunner } from '../runner.js';
import type { Limits } from './limits.js';

/** `bin/release <build>`: its YAML stdout. A buildpack without bin/release releases nothing. */
export async function release(runner: StepRunner, final: PlannedBuildpack, limits: Limits): Promise<ReleaseInfo> {
  if (!final.has.release) return { defaultProcessTypes: {}, configVars: {} };
  const outcome = await runner.run({
    step: 'release',
    buildpack: final.buildpack.name,
    args: [`${final.mount}/bin/release`, CONTAINER.build],
    captureStdout: true,
  });
  if (outcome.exitCode !== 0 || outcome.timedOut || outcome.outputExceeded) {
    throw stepFailure({ step: 'release', buildpack: final.buildpack.name, exit: outcome, tail: outcome.tail, limits });
  }
  try {
    return parseReleaseYaml(outcome.stdout, `bin/release of buildpack '${final.buildpack.name}'`);
  } catch (error) {
    if (!(error instanceof DropshipError)) throw error;
    throw new DropshipError('BUILDPACK_RELEASE_FAILED', `Failed to build droplet release: ${error.message}`, {
      hint: error.hint,
      exitCode: 224,
      cause: error,
      details: { buildpack: final.buildpack.name, step: 'release', tail: outcome.tail },
    });
  }
}
