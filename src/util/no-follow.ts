import { constants, type Stats } from 'node:fs';
import { lchown, lstat, mkdir, open, readdir, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { DropshipError } from '../errors.js';

// dropship runs as root and touches trees that container code, a buildpack or a local user can
// write (staging cache, build dir, deps, app sources, archives). Path-based calls follow a symlink
// planted in any component, at the moment of the call. These helpers never do: every directory is
// held open (O_DIRECTORY|O_NOFOLLOW) and its entries are named through /proc/self/fd/N/<name>,
// which resolves inside the directory that was opened whatever its path now points to (Node has
// no openat); each file is opened with O_NOFOLLOW and judged by fstat on what was opened.

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;
const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
// O_NONBLOCK: a fifo swapped in for a file must not hang the open.
const FILE_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;

export interface Owner {
  uid: number;
  gid: number;
}

/** `name` inside the directory `dir` holds open, resolved without looking at the directory's path again. */
export function atDir(dir: FileHandle, name?: string): string {
  return name === undefined ? `/proc/self/fd/${dir.fd}` : `/proc/self/fd/${dir.fd}/${name}`;
}

/** Open a directory without following a link in its last component (ELOOP/ENOTDIR when it is one). */
export function openDirNoFollow(path: string): Promise<FileHandle> {
  return open(path, DIR_FLAGS);
}

/** Open a file for reading without following a link in its last component and without blocking on a fifo. */
export function openNoFollow(path: string): Promise<FileHandle> {
  return open(path, FILE_FLAGS);
}

/** Whether an open failed because what is there is a link (or stopped being a directory). */
export function isLinkError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ELOOP' || code === 'ENOTDIR' || code === 'EMLINK';
}

/**
 * A real directory `name` in `parent`, owned by `owner`: whatever else is there (a symlink to a host
 * path, a file) is removed first, never followed. Returns the directory, held open.
 */
export async function mkdirNoFollow(parent: FileHandle, name: string, owner: Owner, mode = 0o755): Promise<FileHandle> {
  const path = atDir(parent, name);
  const info = await lstat(path).catch(() => undefined);
  if (info && !info.isDirectory()) await rm(path, { force: true });
  if (!info || !info.isDirectory()) await mkdir(path, { mode });
  const dir = await openDirNoFollow(path);
  try {
    const held = await dir.stat();
    if (held.uid !== owner.uid || held.gid !== owner.gid) await dir.chown(owner.uid, owner.gid);
    return dir;
  } catch (error) {
    await dir.close();
    throw error;
  }
}

/**
 * A new regular file `name` in `dir`, open for writing. O_EXCL: whatever is already at the name (a
 * link planted there) is an EEXIST, never written through; O_NOFOLLOW says the same to a reader.
 */
export function createNoFollow(dir: FileHandle, name: string, mode = 0o644): Promise<FileHandle> {
  return open(atDir(dir, name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
}

/**
 * `rm -rf` of `name` in `parent`, walking held directories: a link is removed as a link, and a
 * directory swapped for a link while the walk runs is never entered (Node's recursive rm names
 * every entry by its full path, so a component replaced by a link mid-walk would lead it anywhere).
 */
export async function removeNoFollow(parent: FileHandle, name: string): Promise<void> {
  const path = atDir(parent, name);
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!info) return;
  if (!info.isDirectory()) {
    await unlink(path);
    return;
  }
  const dir = await openDirNoFollow(path);
  try {
    for (const entry of await readdir(atDir(dir))) await removeNoFollow(dir, entry);
  } finally {
    await dir.close();
  }
  await rmdir(path);
}

/** A regular file's text, read without following a link at `path`; undefined when nothing is there. */
export async function readTextNoFollow(path: string, maxBytes = 1024 * 1024): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    handle = await openNoFollow(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (isLinkError(error)) {
      throw new DropshipError('FILE_IS_LINK', `${path} is a symlink; dropship reads it only as a regular file`, {
        hint: `replace ${path} with the file itself`,
      });
    }
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new DropshipError('FILE_NOT_REGULAR', `${path} is not a regular file`, { hint: `make ${path} a file` });
    if (info.size > maxBytes) {
      throw new DropshipError('FILE_TOO_LARGE', `${path} is ${info.size} bytes, more than the ${maxBytes} allowed`, { hint: `${path} should be a few lines of text` });
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

export interface SanitizeOptions {
  /** Every entry is re-owned to this; omitted: owners are kept. */
  owner?: Owner;
  /** The mode to give a file or directory, from the mode it has; default: drop setuid, setgid and sticky bits. */
  mode?: (mode: number, isDirectory: boolean) => number;
}

const withoutSpecialBits = (mode: number) => mode & 0o777;

/**
 * Make a tree safe to keep on the host: no setuid/setgid bits, no device nodes, fifos or sockets
 * (removed, and returned relative to `root`), owners reset. Symlinks are kept as links (re-owned
 * with lchown, never followed). Only changes what needs changing, so a big cache costs a walk
 * (one lstat per file). Meant for trees nothing else writes while it runs (private extraction
 * dirs, a staging tree or cache once the container is gone): changes go through fds opened
 * O_NOFOLLOW, so even then no link is followed.
 */
export async function sanitizeTree(root: string, options: SanitizeOptions = {}): Promise<string[]> {
  const mode = options.mode ?? withoutSpecialBits;
  const removed: string[] = [];
  const wrongOwner = (info: Stats) => options.owner !== undefined && (info.uid !== options.owner.uid || info.gid !== options.owner.gid);
  const needsFix = (info: Stats, isDirectory: boolean) => (info.mode & 0o7777) !== mode(info.mode & 0o7777, isDirectory) || wrongOwner(info);
  const fix = async (handle: FileHandle, info: Stats, isDirectory: boolean) => {
    const want = mode(info.mode & 0o7777, isDirectory);
    if ((info.mode & 0o7777) !== want) await handle.chmod(want);
    if (wrongOwner(info)) await handle.chown(options.owner!.uid, options.owner!.gid);
  };
  const walk = async (dir: FileHandle, rel: string): Promise<void> => {
    await fix(dir, await dir.stat(), true);
    for (const name of await readdir(atDir(dir))) {
      const path = atDir(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const info = await lstat(path);
      if (info.isSymbolicLink()) {
        if (wrongOwner(info)) await lchown(path, options.owner!.uid, options.owner!.gid);
      } else if (info.isDirectory()) {
        const sub = await openDirNoFollow(path);
        try {
          await walk(sub, r);
        } finally {
          await sub.close();
        }
      } else if (info.isFile()) {
        // Most files need nothing: only those are opened (and judged again by fstat) that do.
        if (!needsFix(info, false)) continue;
        const file = await openNoFollow(path);
        try {
          const held = await file.stat();
          if (held.isFile()) await fix(file, held, false);
        } finally {
          await file.close();
        }
      } else {
        await unlink(path);
        removed.push(r);
      }
    }
  };
  const top = await openDirNoFollow(root);
  try {
    await walk(top, '');
  } finally {
    await top.close();
  }
  return removed.sort();
}

/**
 * `u+rwX,go+rX,go-w` without setuid/setgid/sticky: buildpack steps run as vcap, who owns none of
 * a buildpack's files, so everything is readable (executables executable) and nothing writable by others.
 */
export function readableByAll(mode: number, isDirectory: boolean): number {
  let out = ((mode & 0o777) | 0o644) & ~0o022;
  if (isDirectory || mode & 0o111) out |= 0o111;
  return out;
}
