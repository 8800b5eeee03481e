import { homePaths } from '../home.js';
import { type BuildOutcome, type BuildStackOptions, runBuild } from './build.js';
import { buildPackages } from './diff.js';
import { type PackageDiff, diffPackages } from './package-diff.js';

export interface StackUpdate extends BuildOutcome {
  /** Package changes from the build that was current before (none when nothing changed, or no SBOM to compare). */
  diff?: PackageDiff;
}

/**
 * Build a stack again from its package sources' current state (the recipe refreshes them: apt
 * lists for tiny; debootstrap reads the mirror anyway). A changed package gives a new build and
 * the old one moves to the history; no change gives the same layer, and nothing is recorded.
 * A failed build records nothing either, so apps stay on what they run.
 */
export async function updateStack(name: string, options: Omit<BuildStackOptions, 'force'> = {}): Promise<StackUpdate> {
  const home = options.home ?? homePaths();
  const outcome = await runBuild(name, { ...options, home, update: true });
  if (!outcome.changed || !outcome.previous?.sbom) return outcome;
  const [before, after] = await Promise.all([buildPackages(home, name, outcome.previous), buildPackages(home, name, outcome.info)]);
  return { ...outcome, diff: diffPackages(before, after) };
}
