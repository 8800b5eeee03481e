import { isBuildpackUrl } from '../buildpack/index.js';
import { DropshipError } from '../errors.js';

export interface NamedBuildpacks {
  values: string[];
  /** Set when the buildpack came from the app's `BUILDPACK_URL`: the app chose it, not the operator. */
  fromEnv?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The buildpacks to stage with: the `-b` values, else the single buildpack of `BUILDPACK_URL` in
 * the app's env (Heroku's and Dokku's way; a manifest's `env:` sets it too), which skips detection.
 * It is the app's input, so only a URL or the name of a registered buildpack: never a host path.
 */
export function namedBuildpacks(buildpacks: string[], env: Record<string, string>): NamedBuildpacks {
  if (buildpacks.length > 0) return { values: buildpacks };
  const value = env.BUILDPACK_URL?.trim();
  if (!value) return { values: [] };
  if (!isBuildpackUrl(value) && !NAME.test(value)) {
    throw new DropshipError('INVALID_BUILDPACK_URL', `env BUILDPACK_URL: '${value}' is neither an http(s) URL nor a buildpack name`, {
      hint: 'set BUILDPACK_URL to https://host/buildpack.tgz, https://host/org/repo.git#ref or a name from dropship buildpacks; local paths go in -b',
    });
  }
  return { values: [value], fromEnv: 'BUILDPACK_URL in the app env' };
}
