import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { isDirectory, isFile } from '../util/fs.js';
import type { Buildpack } from './types.js';

export async function hasFile(dir: string, relative: string): Promise<boolean> {
  return isFile(join(dir, relative));
}

/**
 * Every V2 buildpack has bin/ (a composite Cloud Native Buildpack has only buildpack.toml);
 * `message` says which buildpack lacks it, in the caller's words.
 */
export async function requireBin(dir: string, message: string): Promise<void> {
  if (!(await isDirectory(join(dir, 'bin'))) && !(await isFile(join(dir, 'buildpack.toml')))) {
    throw new DropshipError('BUILDPACK_INVALID', message, {
      hint: 'a V2 buildpack has bin/detect, bin/supply or bin/finalize (or bin/compile) and bin/release',
    });
  }
}

/**
 * Steps run as vcap, who owns none of the buildpack's files: a script must be executable and
 * readable by others, or it fails inside the container with a message nobody can place.
 */
export async function requireExecutable(bp: Buildpack, script: string, why: string): Promise<void> {
  const path = join(bp.dir, script);
  const info = await stat(path).catch(() => undefined);
  if (!info || !info.isFile()) {
    throw new DropshipError('BUILDPACK_SCRIPT_MISSING', `buildpack '${bp.name}' has no ${script} (${path}), which ${why}`, {
      hint: `add an executable ${script} to the buildpack, or choose another buildpack with -b`,
      exitCode: 1,
      details: { buildpack: bp.key, script },
    });
  }
  if ((info.mode & 0o005) !== 0o005) {
    throw new DropshipError('BUILDPACK_SCRIPT_NOT_EXECUTABLE', `buildpack '${bp.name}': ${script} is not executable by the staging user (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')})`, {
      hint: `chmod a+rx ${path}`,
      details: { buildpack: bp.key, script },
    });
  }
}
