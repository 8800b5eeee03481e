import { DropshipError } from '../errors.js';
import { homePaths, type HomePaths } from '../home.js';
import { findBuild, readStack, type StackBuild } from './metadata.js';
import { type PackageDiff, diffPackages } from './package-diff.js';
import type { StackPackage } from './packages.js';
import { readSbom, sbomPackages } from './sbom.js';
import { recipeDir } from './recipes.js';

export interface StackDiff extends PackageDiff {
  stack: string;
  from: StackBuild;
  to: StackBuild;
}

/** The packages of one recorded build, from its SBOM. */
export async function buildPackages(home: HomePaths, stack: string, build: StackBuild): Promise<StackPackage[]> {
  const doc = await readSbom(home, stack, build.diffId);
  if (!doc) {
    throw new DropshipError('STACK_SBOM_MISSING', `stack ${stack}: build ${build.diffId} has no SBOM (built ${build.builtAt}, before dropship recorded package lists)`, {
      hint: `compare builds made since; dropship stack update ${stack} makes one`,
    });
  }
  return sbomPackages(doc);
}

/** What changed between two builds of a stack: `from` defaults to the previous build, `to` to the current one. */
export async function diffStack(name: string, options: { from?: string; to?: string; home?: HomePaths } = {}): Promise<StackDiff> {
  const home = options.home ?? homePaths();
  await recipeDir(name);
  const info = await readStack(home, name);
  if (!info) {
    throw new DropshipError('STACK_NOT_BUILT', `stack ${name} was never built`, { hint: `dropship stack build ${name}` });
  }
  if (options.from === undefined && info.history.length === 0) {
    throw new DropshipError('STACK_NO_PREVIOUS_BUILD', `stack ${name} has one build only, nothing to compare it with`, {
      hint: `dropship stack update ${name} builds it again from the current packages`,
    });
  }
  const from = findBuild(info, options.from ?? 'previous');
  const to = findBuild(info, options.to ?? 'current');
  const [before, after] = await Promise.all([buildPackages(home, name, from), buildPackages(home, name, to)]);
  return { stack: name, from, to, ...diffPackages(before, after) };
}
