import { CONTAINER } from '../layout.js';
import { stepFailure, type StepName } from '../failure.js';
import type { PlannedBuildpack } from '../plan.js';
import type { StepOutcome, StepRunner } from '../runner.js';
import type { Limits } from './limits.js';

export interface BuildHooks {
  /** A step starts (for progress: "Supplying X", "Finalizing Y"). */
  onStep?: (step: StepName, planned: PlannedBuildpack) => void;
  onStepDone?: (step: StepName, planned: PlannedBuildpack, outcome: StepOutcome) => void;
}

async function runStep(runner: StepRunner, step: StepName, planned: PlannedBuildpack, args: string[], limits: Limits, hooks: BuildHooks): Promise<void> {
  hooks.onStep?.(step, planned);
  const outcome = await runner.run({ step, buildpack: planned.buildpack.name, args });
  hooks.onStepDone?.(step, planned, outcome);
  if (outcome.exitCode !== 0 || outcome.timedOut || outcome.outputExceeded) {
    throw stepFailure({ step, buildpack: planned.buildpack.name, exit: outcome, tail: outcome.tail, limits });
  }
}

/** `bin/supply <build> <cache/key> <deps> <idx>` for every supply buildpack, in order. */
export async function supply(runner: StepRunner, plan: PlannedBuildpack[], limits: Limits, hooks: BuildHooks = {}): Promise<void> {
  for (const planned of plan) {
    const runs = !planned.final || (planned.has.supply && planned.has.finalize);
    if (!runs) continue;
    await runStep(runner, 'supply', planned, [
      `${planned.mount}/bin/supply`, CONTAINER.build, `${CONTAINER.cache}/${planned.cacheKey}`, CONTAINER.deps, planned.depsIdx,
    ], limits, hooks);
  }
}

/**
 * The final buildpack: `bin/finalize <build> <cache/final> <deps> <idx> <profile.d>`, or the
 * legacy `bin/compile <build> <cache/final> <env-dir>` (the third argument is Heroku's ENV_DIR).
 */
export async function finalize(runner: StepRunner, final: PlannedBuildpack, limits: Limits, hooks: BuildHooks = {}): Promise<'finalize' | 'compile'> {
  const cache = `${CONTAINER.cache}/${final.cacheKey}`;
  if (final.has.finalize) {
    await runStep(runner, 'finalize', final, [
      `${final.mount}/bin/finalize`, CONTAINER.build, cache, CONTAINER.deps, final.depsIdx, CONTAINER.profileD,
    ], limits, hooks);
    return 'finalize';
  }
  await runStep(runner, 'compile', final, [`${final.mount}/bin/compile`, CONTAINER.build, cache, CONTAINER.envDir], limits, hooks);
  return 'compile';
}
