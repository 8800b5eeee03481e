// The stack room: build a stack's rootfs from its recipe and keep it as a layer in the store.
import { homePaths, type HomePaths } from '../home.js';
import { openStore } from '../oci/index.js';
import { buildStack, type BuildStackOptions } from './build.js';
import { readAllStacks, readStack, type StackInfo } from './metadata.js';
import { recipeDir } from './recipes.js';

export { buildStack, type BuildStackOptions } from './build.js';
export { DEFAULT_STACK, knownStacks, recipesRoot } from './recipes.js';
export type { StackBuild, StackInfo } from './metadata.js';
export { findBuild, stackBuilds } from './metadata.js';
export { updateStack, type StackUpdate } from './update.js';
export { diffStack, buildPackages, type StackDiff } from './diff.js';
export { diffPackages, formatPackageDiff, isEmptyDiff, type PackageChange, type PackageDiff } from './package-diff.js';
export type { StackPackage } from './packages.js';
export { readSbom, sbomPath, type SpdxDocument } from './sbom.js';
export { BUILD_MARKER } from './build-marker.js';

/** The current build of a stack, or undefined when it was never built. Unknown names are an error. */
export async function getStack(name: string, home: HomePaths = homePaths()): Promise<StackInfo | undefined> {
  await recipeDir(name);
  return readStack(home, name);
}

/** Every stack built in this home. */
export async function listStacks(home: HomePaths = homePaths()): Promise<StackInfo[]> {
  return readAllStacks(home);
}

/**
 * The stack's current build, building it first when it is absent (never built, or its layer is
 * gone from the store). Unlike buildStack it does not rebuild because the recipe changed: callers
 * that just need a stack should not wait for a rebuild nobody asked for.
 */
export async function ensureStack(name: string, options: BuildStackOptions = {}): Promise<StackInfo> {
  const home = options.home ?? homePaths();
  const current = await getStack(name, home);
  if (current && (await openStore(home).blobs.has(current.digest))) return current;
  return buildStack(name, { ...options, force: false, home });
}
