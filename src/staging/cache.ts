import { lstat, mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { homePaths } from '../home.js';
import { copyTreeNoFollow } from '../util/copy-tree.js';
import { withLock } from '../util/lock.js';
import { removeTree } from '../util/remove-tree.js';
import { atDir, mkdirNoFollow, openDirNoFollow, sanitizeTree, type Owner } from '../util/no-follow.js';

export interface CacheState {
  dir: string;
  /** The cache held something from an earlier staging. */
  reused: boolean;
}

// Everything under the cache dir was written by buildpack code in an earlier staging: any entry
// may be a symlink to a host path. The cache dir itself is the bind-mount source (a container
// cannot replace it); what is inside is only ever looked at with lstat or through an open fd.

/**
 * The app's staging cache ($DROPSHIP_HOME/cache/<app>): one sub-directory per supply buildpack
 * and `final`, owned by vcap, bind-mounted read-write. `fresh` (--no-cache) empties it first.
 * A planted link in place of a sub-directory is removed, never followed, chowned or listed.
 */
export async function prepareCache(dir: string, keys: string[], owner: Owner, fresh: boolean): Promise<CacheState> {
  if (fresh) await removeTree(dir);
  await mkdir(dir, { recursive: true });
  const top = await openDirNoFollow(dir);
  try {
    let reused = false;
    for (const name of await readdir(atDir(top))) {
      const info = await lstat(atDir(top, name));
      if (info.isDirectory() && (await readdir(atDir(top, name))).length > 0) reused = true;
    }
    await top.chown(owner.uid, owner.gid);
    for (const key of keys) await (await mkdirNoFollow(top, key, owner)).close();
    return { dir, reused };
  } finally {
    await top.close();
  }
}

/**
 * After staging: remove cache directories of buildpacks this staging did not use (Cloud Foundry
 * prunes them too), and make what stays safe to keep on the host: no setuid/setgid bits, no
 * fifos or sockets, everything vcap's. Returns the pruned names.
 */
export async function saveCache(dir: string, keep: string[], owner: Owner): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    if (keep.includes(name)) continue;
    // rm removes a link, never what it points to.
    await removeTree(join(dir, name));
    removed.push(name);
  }
  await sanitizeTree(dir, { owner });
  return removed.sort();
}

/**
 * This staging's own copy of the cache (at `to`, beside the cache on the staging disk): the
 * buildpacks write to the copy, and only a staging that succeeds swaps it in (`swapCache`), so a
 * failed or killed one leaves the cache exactly as the last good staging saved it. Links are copied
 * as links, never followed.
 */
export async function workingCopy(dir: string, to: string, owner: Owner): Promise<string> {
  await copyTreeNoFollow(dir, to, { owner, mode: (mode, isDirectory) => (mode & 0o777) | (isDirectory ? 0o700 : 0o600) });
  return to;
}

/** On success: the saved working copy replaces the cache (two renames on one filesystem). */
export async function swapCache(copy: string, dir: string): Promise<void> {
  const old = `${dir}.old`;
  await removeTree(old);
  await rename(dir, old);
  await rename(copy, dir);
  await removeTree(old);
}

/**
 * `dropship delete` and `gc`: the app's staging cache (its quota disk image) goes, under the app's
 * staging lock so that no staging of it is running (the disk is mounted only while one is).
 */
export async function removeStagingCache(app: string, home?: string): Promise<boolean> {
  const paths = homePaths(home);
  const dir = join(paths.cache, app);
  return withLock(join(paths.locks, `staging-cache-${app}.lock`), async () => {
    const existed = (await lstat(dir).catch(() => undefined)) !== undefined;
    await removeTree(dir);
    return existed;
  }, { timeoutMs: 60_000 });
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
