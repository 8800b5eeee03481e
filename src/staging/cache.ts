import { chown, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface CacheState {
  dir: string;
  /** The cache held something from an earlier staging. */
  reused: boolean;
}

/**
 * The app's staging cache ($DROPSHIP_HOME/cache/<app>): one sub-directory per supply buildpack
 * and `final`, owned by vcap, bind-mounted read-write. `fresh` (--no-cache) empties it first.
 */
export async function prepareCache(dir: string, keys: string[], owner: { uid: number; gid: number }, fresh: boolean): Promise<CacheState> {
  if (fresh) await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const before = await readdir(dir);
  let reused = false;
  for (const name of before) {
    if ((await readdir(join(dir, name)).catch(() => [])).length > 0) reused = true;
  }
  await chown(dir, owner.uid, owner.gid);
  for (const key of keys) {
    const sub = join(dir, key);
    await mkdir(sub, { recursive: true });
    await chown(sub, owner.uid, owner.gid);
  }
  return { dir, reused };
}

/** Remove cache directories of buildpacks this staging did not use (Cloud Foundry prunes them too). */
export async function pruneCache(dir: string, keep: string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    if (keep.includes(name)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed.sort();
}

/** Bytes under `dir`, symlinks not followed: shown so a cache that does nothing is visible. */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  const stack = [dir];
  while (stack.length) {
    const current = stack.pop()!;
    for (const entry of await readdir(current, { withFileTypes: true }).catch(() => [])) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else if (entry.isFile()) total += (await lstat(path).catch(() => ({ size: 0 }))).size;
    }
  }
  return total;
}
