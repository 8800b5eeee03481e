import { constants } from 'node:fs';
import { chmod, copyFile, lchown, lstat, mkdir, readdir, readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { DropshipError } from '../errors.js';
import { readTextIfExists } from '../util/fs.js';

/** What the Cloud Foundry CLI never uploads, before .cfignore is read. */
const DEFAULT_IGNORES = ['.cfignore', '/manifest.yml', '.gitignore', '.git', '.hg', '.svn', '_darcs', '.DS_Store'];

export interface CopyResult {
  files: number;
  bytes: number;
  /** Sockets, fifos and devices: not copied. */
  skipped: string[];
}

export async function loadIgnore(appDir: string): Promise<Ignore> {
  const path = join(appDir, '.cfignore');
  const text = await readTextIfExists(path).catch((error: unknown) => {
    throw unreadable(path, error);
  });
  return ignore().add(DEFAULT_IGNORES).add(text ?? '');
}

function unreadable(path: string, error: unknown): DropshipError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return new DropshipError('APP_FILE_UNREADABLE', `cannot read ${path} (${code || (error as Error).message})`, {
    hint: code === 'EACCES' ? `let dropship read it (chmod a+r ${path}) or list it in .cfignore` : 'check the file, or list it in .cfignore',
    cause: error,
  });
}

/** Missing, not a directory, or nothing to stage: said before any container starts. */
export async function checkAppDir(appDir: string): Promise<void> {
  const info = await lstat(appDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      throw new DropshipError('APP_NOT_FOUND', `app directory ${appDir} does not exist`, { hint: 'give the path of your app source: dropship stage ./my-app' });
    }
    throw unreadable(appDir, error);
  });
  if (!info.isDirectory()) {
    throw new DropshipError('APP_NOT_DIRECTORY', `${appDir} is not a directory`, { hint: 'give the directory holding your app source' });
  }
}

/**
 * Copy the app into the staging build dir, owned by the host uid/gid that vcap maps to.
 * Symlinks are copied as symlinks and never followed: a link to a host file stays a link that
 * resolves inside the container, so nothing of the host leaks into the droplet.
 */
export async function copyAppSource(appDir: string, dest: string, owner: { uid: number; gid: number }): Promise<CopyResult> {
  const ig = await loadIgnore(appDir);
  const result: CopyResult = { files: 0, bytes: 0, skipped: [] };
  // Directories are made during the walk; files and links are copied afterwards by a few
  // workers at once (one at a time is dominated by syscall latency); directory modes last.
  const jobs: Array<() => Promise<void>> = [];
  const dirs: Array<{ target: string; mode: number }> = [];

  async function walk(relative: string): Promise<void> {
    const from = join(appDir, relative);
    const entries = await readdir(from, { withFileTypes: true }).catch((error) => {
      throw unreadable(from, error);
    });
    for (const entry of entries) {
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (ig.ignores(entry.isDirectory() ? `${rel}/` : rel)) continue;
      const source = join(appDir, rel);
      const target = join(dest, rel);
      const info = await lstat(source).catch((error) => {
        throw unreadable(source, error);
      });
      if (info.isDirectory()) {
        await mkdir(target);
        dirs.push({ target, mode: (info.mode & 0o777) | 0o700 });
        await walk(rel);
      } else if (info.isSymbolicLink()) {
        jobs.push(async () => {
          await symlink(await readlink(source), target);
          await lchown(target, owner.uid, owner.gid);
        });
      } else if (info.isFile()) {
        result.files++;
        result.bytes += info.size;
        jobs.push(async () => {
          await copyFile(source, target, constants.COPYFILE_FICLONE).catch((error) => {
            throw unreadable(source, error);
          });
          await chmod(target, (info.mode & 0o777) | 0o600);
          await lchown(target, owner.uid, owner.gid);
        });
      } else {
        result.skipped.push(rel);
      }
    }
  }

  await mkdir(dest, { recursive: true });
  await walk('');
  if (result.files === 0) {
    throw new DropshipError('APP_EMPTY', `app directory ${appDir} has no files to stage (after .cfignore and the default ignores)`, {
      hint: 'stage the directory that holds your app; check .cfignore if it excludes everything',
    });
  }
  await runPool(jobs, 16);
  for (const { target, mode } of dirs) {
    await chmod(target, mode);
    await lchown(target, owner.uid, owner.gid);
  }
  await lchown(dest, owner.uid, owner.gid);
  result.skipped.sort();
  return result;
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
