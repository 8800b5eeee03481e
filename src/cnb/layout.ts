/**
 * Where things are inside the staging container during a CNB build: the platform spec's
 * defaults (`/workspace`, `/layers`, `/platform`, `/cnb/buildpacks`), so real buildpacks that
 * assume them work unchanged.
 */
export const CNB_PATHS = {
  app: '/workspace',
  layers: '/layers',
  platform: '/platform',
  buildpacks: '/cnb/buildpacks',
  /** Plan files handed to and written by bin/detect and bin/build. */
  scratch: '/tmp/cnb',
  lifecycle: '/cnb/lifecycle',
  launcher: '/cnb/lifecycle/launcher',
  process: '/cnb/process',
} as const;

/** `<layers>/<id with / → _>` (buildpack.md "Layers"). */
export function escapeId(id: string): string {
  return id.replace(/\//g, '_');
}

/** Mount point of the i-th buildpack: numbered, so ids never become host-side paths. */
export function buildpackMount(index: number): string {
  return `${CNB_PATHS.buildpacks}/${index}`;
}
