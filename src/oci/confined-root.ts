import { lstatSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/** Why a path cannot be used inside the root: the component at fault, relative to the root. */
export class Unconfined extends Error {
  constructor(
    readonly reason: 'symlink' | 'not-a-directory' | 'missing',
    readonly component: string,
  ) {
    super(`${component || '.'}: ${reason}`);
  }
}

/**
 * Relative paths inside a directory tree, resolved so that nothing done with them can leave it:
 * every component of a directory is lstat'ed and must be a real directory, never a symlink, and
 * the last component is then used only with calls that do not follow it (lchown, lutimes,
 * O_NOFOLLOW opens, mknod, symlink, link, setfattr -h).
 *
 * Node has no openat(), so this is check-then-use on paths. That is sound only because nothing
 * but the unpacker changes the tree while it runs: the unpack cache unpacks under a root-only
 * (0700) directory that no container has mounted yet, so no other process can swap a component
 * between the check and the write. The unpacker's own changes are sequential, and every one that
 * can turn a directory into something else (removing an entry to replace it) calls forget(), so
 * the cache of checked directories never says "real directory" about anything else. Deferred work
 * (xattrs, whiteouts, directory times) resolves again through a fresh ConfinedRoot when it runs,
 * never with paths checked earlier.
 */
export class ConfinedRoot {
  /** Relative paths already checked to be real directories (the root is ''). */
  private readonly dirs = new Set<string>(['']);

  constructor(readonly root: string) {
    const stats = lstatMaybe(root);
    if (!stats) throw new Unconfined('missing', '');
    if (!stats.isDirectory()) throw new Unconfined(stats.isSymbolicLink() ? 'symlink' : 'not-a-directory', '');
  }

  abs(rel: string): string {
    return rel ? join(this.root, rel) : this.root;
  }

  isKnownDir(rel: string): boolean {
    return this.dirs.has(rel);
  }

  /**
   * The absolute path of directory `rel` once each of its components is checked to be a real
   * directory. A missing component is made by `create` (given its absolute and relative path), or refused.
   */
  dir(rel: string, create?: (abs: string, rel: string) => void): string {
    if (this.dirs.has(rel)) return this.abs(rel);
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const sub = parts.slice(0, i).join('/');
      if (this.dirs.has(sub)) continue;
      const stats = lstatMaybe(this.abs(sub));
      if (!stats) {
        if (!create) throw new Unconfined('missing', sub);
        create(this.abs(sub), sub);
      } else if (stats.isSymbolicLink()) {
        throw new Unconfined('symlink', sub);
      } else if (!stats.isDirectory()) {
        throw new Unconfined('not-a-directory', sub);
      }
      this.dirs.add(sub);
    }
    return this.abs(rel);
  }

  /** The absolute path of `rel` with its parent checked; the last component is not looked at. */
  child(rel: string): string {
    this.dir(parentOf(rel));
    return this.abs(rel);
  }

  /** `rel` is a directory the caller just made or checked itself. */
  remember(rel: string): void {
    this.dirs.add(rel);
  }

  /** `rel` was removed: it and everything below it must be checked again. */
  forget(rel: string): void {
    for (const dir of this.dirs) if (isAtOrBelow(dir, rel)) this.dirs.delete(dir);
    this.dirs.add('');
  }
}

export function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash === -1 ? '' : rel.slice(0, slash);
}

/** True when `path` is `top` or inside it ('' is the root, above everything). */
export function isAtOrBelow(path: string, top: string): boolean {
  return top === '' || path === top || path.startsWith(top + '/');
}

export function lstatMaybe(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
