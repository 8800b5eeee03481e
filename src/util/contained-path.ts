import { constants, realpathSync } from 'node:fs';
import { open, readlink, type FileHandle } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { DropshipError } from '../errors.js';

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** Where a path from an app's own files must stay: under `root`; `source` names the file and field. */
export interface Containment {
  root: string;
  source: string;
}

function outside(path: string, base: string, target: string, source: string): DropshipError {
  return new DropshipError('PATH_OUTSIDE_APP', `${source}: '${path}' leads outside ${base} (to ${target})`, {
    hint: `a manifest found beside the app may only name directories inside it; to push ${target}, give it yourself: dropship push ${target}, or -f MANIFEST`,
  });
}

function inside(base: string, target: string): boolean {
  const rel = relative(base, target);
  return rel !== '..' && !rel.startsWith('../') && !rel.startsWith('/');
}

/**
 * `path` with its symlinks resolved, when that stays at or below `root` (resolved too): a path
 * written in an app's own files (its manifest's `path:`) must not name a host directory outside
 * the app, which root would then copy into a droplet the app can read and serve.
 */
export function containedPath(path: string, root: string, source: string): string {
  const base = real(root);
  const target = real(path);
  if (inside(base, target)) return target;
  throw outside(path, base, target, source);
}

/**
 * Open the directory `dir` to read it, and when `within` is given refuse it unless the directory
 * actually opened lies inside `within.root`. Judged on the open fd (its /proc link), not on the
 * path: whoever owns the app directory may swap a component for a symlink after containedPath
 * looked, and everything read through the handle is the directory that was judged.
 */
export async function openContainedDir(dir: string, within?: Containment): Promise<FileHandle> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    if (within) {
      const base = real(within.root);
      const target = await readlink(`/proc/self/fd/${handle.fd}`);
      if (!inside(base, target)) throw outside(dir, base, target, within.source);
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** A path to the directory held by `handle`, for this process or (by pid) a child it runs. */
export function heldDirPath(handle: FileHandle): string {
  return `/proc/${process.pid}/fd/${handle.fd}/.`;
}
