// The stack room: build a stack's rootfs from its recipe and keep it as a layer in the store.
// The face stays light (a task only reads which build is current): building, with the store's
// layer writer and the registry code oci/index.ts brings, loads on the first build.
import { homePaths, type HomePaths } from '../home.js';
// Not oci/index.js: that face also loads the registry client, which reading a stack never needs.
import { openStore } from '../oci/layout.js';
import type { BuildStackOptions } from './build.js';
import { readAllStacks, readStack, type StackInfo } from './metadata.js';
import type { StackUpdate } from './update.js';
import { recipeDir } from './recipes.js';

export type { BuildStackOptions } from './build.js';
export { DEFAULT_STACK, knownStacks, recipesRoot } from './recipes.js';
export type { StackBuild, StackInfo } from './metadata.js';
export { findBuild, stackBuilds } from './metadata.js';
export type { StackUpdate } from './update.js';
export { diffStack, buildPackages, type StackDiff } from './diff.js';
export { diffPackages, formatPackageDiff, isEmptyDiff, type PackageChange, type PackageDiff } from './package-diff.js';
export type { StackPackage } from './packages.js';
export { readSbom, sbomPath, type SpdxDocument } from './sbom.js';
export { BUILD_MARKER } from './build-marker.js';

/** Build the stack from its recipe (see build.ts). */
export async function buildStack(name: string, options: BuildStackOptions = {}): Promise<StackInfo> {
  return (await import('./build.js')).buildStack(name, options);
}

/** Build the stack again from its package sources' current state (see update.ts). */
export async function updateStack(name: string, options: Omit<BuildStackOptions, 'force'> = {}): Promise<StackUpdate> {
  return (await import('./update.js')).updateStack(name, options);
}

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
