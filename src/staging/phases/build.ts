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

/**
 * Heroku's multi-buildpack rule: before a buildpack runs, the `export` file that each earlier one
 * may have written into its own directory is sourced, in order, so what they installed is on PATH
 * (and in any variable they exported). The files are the buildpacks' own shell, run inside the
 * staging container as the step's user, never read by the host. Sourced by bash, as on Heroku:
 * heroku-buildpack-apt writes bash's `export` listing (`declare -x PATH=…`).
 */
const SOURCE_EXPORTS = 'n=$1; shift; while [ "$n" -gt 0 ]; do if [ -f "$1" ]; then . "$1"; fi; shift; n=$((n - 1)); done; exec "$@"';

/** `args` run after the `export` files of the buildpacks before `index` are sourced. */
export function afterExports(plan: PlannedBuildpack[], index: number, args: string[]): string[] {
  const exports = plan.slice(0, index).map((p) => `${p.mount}/export`);
  if (exports.length === 0) return args;
  return ['/usr/bin/env', 'bash', '-c', SOURCE_EXPORTS, 'bash', String(exports.length), ...exports, ...args];
}

async function runStep(runner: StepRunner, step: StepName, planned: PlannedBuildpack, args: string[], limits: Limits, hooks: BuildHooks): Promise<void> {
  hooks.onStep?.(step, planned);
  const outcome = await runner.run({ step, buildpack: planned.buildpack.name, args });
  hooks.onStepDone?.(step, planned, outcome);
  if (outcome.exitCode !== 0 || outcome.timedOut || outcome.outputExceeded) {
    throw stepFailure({ step, buildpack: planned.buildpack.name, exit: outcome, tail: outcome.tail, limits });
  }
}

/**
 * Every buildpack before the last, in order: `bin/supply <build> <cache/key> <deps> <idx>`
 * (Cloud Foundry), or for a Heroku-style one `bin/compile <build> <cache/key> <env-dir>`; then the
 * final buildpack's own bin/supply when it has bin/finalize.
 */
export async function supply(runner: StepRunner, plan: PlannedBuildpack[], limits: Limits, hooks: BuildHooks = {}): Promise<void> {
  for (const [i, planned] of plan.entries()) {
    const cache = `${CONTAINER.cache}/${planned.cacheKey}`;
    if (planned.herokuChain) {
      await runStep(runner, 'compile', planned, afterExports(plan, i, [
        `${planned.mount}/bin/compile`, CONTAINER.build, cache, CONTAINER.envDir,
      ]), limits, hooks);
      continue;
    }
    const runs = !planned.final || (planned.has.supply && planned.has.finalize);
    if (!runs) continue;
    await runStep(runner, 'supply', planned, afterExports(plan, i, [
      `${planned.mount}/bin/supply`, CONTAINER.build, cache, CONTAINER.deps, planned.depsIdx,
    ]), limits, hooks);
  }
}

/**
 * The final buildpack: `bin/finalize <build> <cache/final> <deps> <idx> <profile.d>`, or the
 * legacy `bin/compile <build> <cache/final> <env-dir>` (the third argument is Heroku's ENV_DIR).
 */
export async function finalize(runner: StepRunner, plan: PlannedBuildpack[], limits: Limits, hooks: BuildHooks = {}): Promise<'finalize' | 'compile'> {
  const index = plan.length - 1;
  const final = plan[index]!;
  const cache = `${CONTAINER.cache}/${final.cacheKey}`;
  if (final.has.finalize) {
    await runStep(runner, 'finalize', final, afterExports(plan, index, [
      `${final.mount}/bin/finalize`, CONTAINER.build, cache, CONTAINER.deps, final.depsIdx, CONTAINER.profileD,
    ]), limits, hooks);
    return 'finalize';
  }
  await runStep(runner, 'compile', final, afterExports(plan, index, [
    `${final.mount}/bin/compile`, CONTAINER.build, cache, CONTAINER.envDir,
  ]), limits, hooks);
  return 'compile';
}
