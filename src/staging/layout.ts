/**
 * The buildpack's contract: where things are inside the staging container, as Cloud Foundry's
 * lifecycle lays them out. Real V2 buildpacks assume these paths.
 */
export const CONTAINER = {
  build: '/tmp/app',
  cache: '/tmp/cache',
  deps: '/tmp/deps',
  profileD: '/tmp/profile.d',
  envDir: '/tmp/env',
  buildpacks: '/tmp/buildpacks',
} as const;

/** `deps/<idx>`: zero-padded to the digit count of the number of buildpacks (10 → 00…09). */
export function depsIndex(index: number, count: number): string {
  return String(index).padStart(String(count).length, '0');
}

/** Mount point of the i-th buildpack (numbered, so any key, even a URL, makes a safe path). */
export function buildpackMount(index: number): string {
  return `${CONTAINER.buildpacks}/${index}`;
}
