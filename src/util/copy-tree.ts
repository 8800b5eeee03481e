import { constants, type Stats } from 'node:fs';
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
}

export interface CopyTreeResult {
  files: number;
  bytes: number;
  /** Sockets, fifos and devices, relative to the source: not copied. */
  skipped: string[];
}

/** Files copied at once per directory: one at a time is dominated by syscall latency. */
const WIDTH = 16;
const SMALL_FILE = 1024 * 1024;
const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

/**
 * Copy `from` to `to` as root without ever following a link, in the source or the target: each
 * directory is held open and its entries opened relative to it with O_NOFOLLOW, every file judged by
 * fstat on the open fd, so swapping a file or a directory for a symlink mid-copy yields the link or an
 * error, never what it points to. Symlinks are copied as links. Targets are created O_EXCL with mode
 * 0600 and get their final mode and owner through the fd, so no copy is ever setuid or foreign-owned.
 */
export async function copyTreeNoFollow(from: string, to: string, options: CopyTreeOptions): Promise<CopyTreeResult> {
  const result: CopyTreeResult = { files: 0, bytes: 0, skipped: [] };
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

  const copyFile = async (src: FileHandle, dst: FileHandle, name: string, rel: string): Promise<void> => {
    const shown = `${from}/${rel}`;
    const source = await openNoFollow(atDir(src, name)).catch((error) => {
      throw fail(shown, error);
    });
    try {
      const info = await source.stat();
      if (!info.isFile()) {
        result.skipped.push(rel);
        return;
      }
      const target = await open(atDir(dst, name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      try {
        if (info.size <= SMALL_FILE) await target.writeFile(await source.readFile());
        else await copyBytes(source, target);
        await target.chmod(options.mode(info.mode & 0o7777, false));
        await target.chown(options.owner.uid, options.owner.gid);
      } finally {
        await target.close();
      }
      result.files++;
      result.bytes += info.size;
    } catch (error) {
      throw fail(shown, error);
    } finally {
      await source.close();
    }
  };

  const walk = async (src: FileHandle, dst: FileHandle, rel: string, shownDir: string): Promise<void> => {
    const names = (await readdir(atDir(src)).catch((error) => {
      throw fail(shownDir, error);
    })).sort();
    const subdirs: string[] = [];
    const jobs: Array<() => Promise<void>> = [];
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const shown = `${from}/${r}`;
      const info: Stats = await lstat(atDir(src, name)).catch((error) => {
        throw fail(shown, error);
      });
      if (options.ignore?.(r, info.isDirectory())) continue;
      if (info.isDirectory()) subdirs.push(name);
      else if (info.isFile()) jobs.push(() => copyFile(src, dst, name, r));
      else if (info.isSymbolicLink()) {
        jobs.push(async () => {
          const target = await readlink(atDir(src, name)).catch((error) => {
            throw fail(shown, (error as NodeJS.ErrnoException).code === 'EINVAL' ? Object.assign(error, { code: 'ELOOP' }) : error);
          });
          await symlink(target, atDir(dst, name));
          await lchown(atDir(dst, name), options.owner.uid, options.owner.gid);
        });
      } else result.skipped.push(r);
    }
    await runPool(jobs, WIDTH);
    for (const name of subdirs) {
      const r = rel ? `${rel}/${name}` : name;
      const shown = `${from}/${r}`;
      const sub = await openDirNoFollow(atDir(src, name)).catch((error) => {
        throw fail(shown, error);
      });
      try {
        await mkdir(atDir(dst, name), { mode: 0o700 });
        const made = await openDirNoFollow(atDir(dst, name));
        try {
          await walk(sub, made, r, shown);
          // Modes last, so a read-only directory could still be filled.
          await made.chmod(options.mode((await sub.stat()).mode & 0o7777, true));
          await made.chown(options.owner.uid, options.owner.gid);
        } finally {
          await made.close();
        }
      } finally {
        await sub.close();
      }
    }
  };

  const src = await openDirNoFollow(from).catch((error) => {
    throw fail(from, error);
  });
  try {
    await mkdir(to, { recursive: true, mode: 0o700 });
    const dst = await openDirNoFollow(to);
    try {
      await walk(src, dst, '', from);
      await dst.chmod(options.mode((await src.stat()).mode & 0o7777, true));
      await dst.chown(options.owner.uid, options.owner.gid);
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
  result.skipped.sort();
  return result;
}

/** Stream one open file into another, a chunk at a time (memory stays flat whatever the size). */
async function copyBytes(source: FileHandle, target: FileHandle): Promise<void> {
  const chunk = Buffer.allocUnsafe(SMALL_FILE);
  for (;;) {
    const { bytesRead } = await source.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) return;
    for (let done = 0; done < bytesRead;) done += (await target.write(chunk, done, bytesRead - done)).bytesWritten;
  }
}

async function runPool(jobs: Array<() => Promise<void>>, width: number): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < jobs.length) {
      await jobs[next++]!().catch((error: unknown) => {
        failed = true;
        throw error;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
}
