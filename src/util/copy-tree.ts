import { constants } from 'node:fs';
import { lchown, lstat, mkdir, open, readdir, readlink, symlink, type FileHandle } from 'node:fs/promises';
import { DropshipError } from '../errors.js';
import { atDir, isLinkError, openDirNoFollow, openNoFollow, type Owner } from './no-follow.js';

export interface CopyTreeOptions {
  owner: Owner;
  /** The mode of the copy, from the mode of what was opened (fstat), never from an earlier lstat. */
  mode: (mode: number, isDirectory: boolean) => number;
  /** Leave out this entry (relative path, `/`-separated). */
  ignore?: (relative: string, isDirectory: boolean) => boolean;
  /** Turn a failed read of a source path into the caller's error. */
  unreadable?: (path: string, error: unknown) => Error;
  /** The name of `from` in messages (when `from` is a held directory's /proc path). */
  shownAs?: string;
}

export interface CopyTreeResult {
  files: number;
  bytes: number;
  /** Sockets, fifos and devices, relative to the source: not copied. */
  skipped: string[];
}

/** Files copied at once: one at a time is dominated by syscall latency. */
const WIDTH = 16;
/** Jobs queued ahead of the workers (each holds its directory open): bounds the open fds. */
const AHEAD = 256;
const CHUNK = 1024 * 1024;
const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

/** A source directory and its copy, held open while the walk or any queued copy still needs them. */
class HeldDirs {
  private refs = 1;
  constructor(readonly src: FileHandle, readonly dst: FileHandle) {}
  retain(): void {
    this.refs++;
  }
  async release(): Promise<void> {
    if (--this.refs === 0) await Promise.all([this.src.close(), this.dst.close()]);
  }
}

/** A fixed number of workers over a bounded queue; the first failure is kept and stops new work. */
class Workers {
  error?: unknown;
  private running = 0;
  private readonly queue: Array<() => Promise<void>> = [];
  private waiters: Array<() => void> = [];

  async add(job: () => Promise<void>): Promise<void> {
    this.queue.push(job);
    this.pump();
    while (this.queue.length >= AHEAD) await this.progress();
    if (this.error) throw this.error;
  }

  async drain(): Promise<void> {
    while (this.running > 0 || this.queue.length > 0) await this.progress();
    if (this.error) throw this.error;
  }

  private progress(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private pump(): void {
    while (this.running < WIDTH && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      job()
        .catch((error: unknown) => {
          this.error ??= error;
        })
        .finally(() => {
          this.running--;
          this.pump();
          const waiters = this.waiters;
          this.waiters = [];
          for (const wake of waiters) wake();
        });
    }
  }
}

type Kind = 'directory' | 'file' | 'symlink' | 'other';

function kindOf(info: { isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }): Kind {
  return info.isDirectory() ? 'directory' : info.isFile() ? 'file' : info.isSymbolicLink() ? 'symlink' : 'other';
}

/**
 * Copy `from` to `to` as root without ever following a link, in the source or the target: each
 * directory is held open and its entries opened relative to it with O_NOFOLLOW, every file judged by
 * fstat on the open fd, so swapping a file or a directory for a symlink mid-copy yields the link or an
 * error, never what it points to. Symlinks are copied as links. Targets are created O_EXCL with mode
 * 0600 and get their final mode and owner through the fd, so no copy is ever setuid or foreign-owned.
 */
export async function copyTreeNoFollow(from: string, to: string, options: CopyTreeOptions): Promise<CopyTreeResult> {
  const result: CopyTreeResult = { files: 0, bytes: 0, skipped: [] };
  const shownRoot = options.shownAs ?? from;
  const workers = new Workers();
  const fail = (path: string, error: unknown): Error => {
    if (error instanceof DropshipError) return error;
    if (isLinkError(error)) {
      return new DropshipError('COPY_SOURCE_CHANGED', `${path} changed into a symlink or another type while it was copied`, {
        hint: 'leave the directory alone while dropship copies it, then try again',
        cause: error,
      });
    }
    return options.unreadable?.(path, error) ?? (error as Error);
  };
  /** The copy of a directory, its mode and owner set at once (the owner keeps rwx, so it can still be filled). */
  const copyDir = async (src: FileHandle, dstPath: string): Promise<FileHandle> => {
    const dst = await openDirNoFollow(dstPath);
    try {
      await dst.chmod(options.mode((await src.stat()).mode & 0o7777, true));
      await dst.chown(options.owner.uid, options.owner.gid);
      return dst;
    } catch (error) {
      await dst.close();
      throw error;
    }
  };

  const copyFile = async (dirs: HeldDirs, name: string, rel: string): Promise<void> => {
    const source = await openNoFollow(atDir(dirs.src, name));
    try {
      const info = await source.stat();
      if (!info.isFile()) {
        result.skipped.push(rel);
        return;
      }
      const target = await open(atDir(dirs.dst, name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      try {
        await copyBytes(source, target, info.size);
        await target.chmod(options.mode(info.mode & 0o7777, false));
        await target.chown(options.owner.uid, options.owner.gid);
      } finally {
        await target.close();
      }
      result.files++;
      result.bytes += info.size;
    } finally {
      await source.close();
    }
  };

  const copyLink = async (dirs: HeldDirs, name: string): Promise<void> => {
    const target = await readlink(atDir(dirs.src, name)).catch((error: NodeJS.ErrnoException) => {
      // EINVAL: no longer a link.
      throw error.code === 'EINVAL' ? Object.assign(error, { code: 'ELOOP' }) : error;
    });
    await symlink(target, atDir(dirs.dst, name));
    await lchown(atDir(dirs.dst, name), options.owner.uid, options.owner.gid);
  };

  const walk = async (dirs: HeldDirs, rel: string): Promise<void> => {
    const shownDir = rel ? `${shownRoot}/${rel}` : shownRoot;
    const entries = await readdir(atDir(dirs.src), { withFileTypes: true }).catch((error) => {
      throw fail(shownDir, error);
    });
    for (const entry of entries) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      const shown = `${shownRoot}/${r}`;
      // The entry's type from the directory listing (lstat where the filesystem does not say) only
      // picks the way to copy it; what is copied is judged again on what gets opened.
      const kind = entry.isDirectory() || entry.isFile() || entry.isSymbolicLink() ? kindOf(entry)
        : kindOf(await lstat(atDir(dirs.src, entry.name)).catch((error) => {
          throw fail(shown, error);
        }));
      if (options.ignore?.(r, kind === 'directory')) continue;
      if (kind === 'directory') {
        const sub = await openDirNoFollow(atDir(dirs.src, entry.name)).catch((error) => {
          throw fail(shown, error);
        });
        let child: HeldDirs;
        try {
          await mkdir(atDir(dirs.dst, entry.name), { mode: 0o700 });
          child = new HeldDirs(sub, await copyDir(sub, atDir(dirs.dst, entry.name)));
        } catch (error) {
          await sub.close();
          throw fail(shown, error);
        }
        try {
          await walk(child, r);
        } finally {
          await child.release();
        }
      } else if (kind === 'file' || kind === 'symlink') {
        dirs.retain();
        await workers.add(async () => {
          try {
            if (workers.error) return;
            await (kind === 'file' ? copyFile(dirs, entry.name, r) : copyLink(dirs, entry.name));
          } catch (error) {
            throw fail(shown, error);
          } finally {
            await dirs.release();
          }
        });
      } else {
        result.skipped.push(r);
      }
    }
  };

  const src = await openDirNoFollow(from).catch((error) => {
    throw fail(shownRoot, error);
  });
  let root: HeldDirs;
  try {
    await mkdir(to, { recursive: true, mode: 0o700 });
    root = new HeldDirs(src, await copyDir(src, to));
  } catch (error) {
    await src.close();
    throw error;
  }
  try {
    await walk(root, '');
  } finally {
    await root.release();
    // Never return (or fail) while a copy is still writing.
    await workers.drain().catch(() => undefined);
  }
  await workers.drain();
  result.skipped.sort();
  return result;
}

/** Up to `size` bytes (the size fstat saw) from one open file into another, a chunk at a time. */
async function copyBytes(source: FileHandle, target: FileHandle, size: number): Promise<void> {
  const chunk = Buffer.allocUnsafe(Math.min(Math.max(size, 1), CHUNK));
  for (let copied = 0; copied < size;) {
    const { bytesRead } = await source.read(chunk, 0, Math.min(chunk.length, size - copied), null);
    if (bytesRead === 0) return;
    for (let done = 0; done < bytesRead;) done += (await target.write(chunk, done, bytesRead - done)).bytesWritten;
    copied += bytesRead;
  }
}
