import { realpathSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { DropshipError } from '../errors.js';

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * `path` with its symlinks resolved, when that stays at or below `root` (resolved too): a path
 * written in an app's own files (its manifest's `path:`) must not name a host directory outside
 * the app, which root would then copy into a droplet the app can read and serve.
 */
export function containedPath(path: string, root: string, source: string): string {
  const base = real(root);
  const target = real(path);
  const rel = relative(base, target);
  if (rel !== '..' && !rel.startsWith('../') && !rel.startsWith('/')) return target;
  throw new DropshipError('PATH_OUTSIDE_APP', `${source}: '${path}' leads outside ${base} (to ${target})`, {
    hint: `a manifest found beside the app may only name directories inside it; to push ${target}, give it yourself: dropship push ${target}, or -f MANIFEST`,
  });
}
