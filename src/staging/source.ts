import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { DropshipError, isDropshipError } from '../errors.js';
import { heldDirPath, openContainedDir, type Containment } from '../util/contained-path.js';
import { copyTreeNoFollow, type CopyTreeResult } from '../util/copy-tree.js';
import { readTextNoFollow } from '../util/no-follow.js';

/** What the Cloud Foundry CLI never uploads, before .cfignore is read. */
const DEFAULT_IGNORES = ['.cfignore', '/manifest.yml', '.gitignore', '.git', '.hg', '.svn', '_darcs', '.DS_Store'];

export type CopyResult = CopyTreeResult;

/** The app's .cfignore and the defaults; `shownAs` names `appDir` in errors (a held directory's /proc path). */
export async function loadIgnore(appDir: string, shownAs = appDir): Promise<Ignore> {
  const text = await readTextNoFollow(join(appDir, '.cfignore')).catch((error: unknown) => {
    throw error instanceof DropshipError ? error : unreadable(join(shownAs, '.cfignore'), error);
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
 * The app directory may belong to a local user who changes it while dropship (root) copies it:
 * the copy never follows a link (symlinks are copied as links that resolve inside the container),
 * judges every file by what it opened, and drops setuid/setgid bits.
 */
export async function copyAppSource(
  appDir: string, dest: string, owner: { uid: number; gid: number }, within?: Containment,
  /** More to leave out (a CNB project.toml's include/exclude), on top of .cfignore. */
  leaveOut?: (rel: string, isDirectory: boolean) => boolean,
): Promise<CopyResult> {
  // Held open, and judged on what was opened: a manifest's `path:` was checked when the push was
  // planned, and the directory may have been swapped for a link out of the app since.
  const held = await openContainedDir(appDir, within).catch((error: unknown) => {
    throw isDropshipError(error) ? error : unreadable(appDir, error);
  });
  let result: CopyResult;
  try {
    const path = heldDirPath(held);
    const ig = await loadIgnore(path, appDir);
    result = await copyTreeNoFollow(path, dest, {
      owner,
      mode: (mode, isDirectory) => (mode & 0o777) | (isDirectory ? 0o700 : 0o600),
      ignore: (rel, isDirectory) => ig.ignores(isDirectory ? `${rel}/` : rel) || (leaveOut?.(rel, isDirectory) ?? false),
      unreadable,
      shownAs: appDir,
    });
  } finally {
    await held.close();
  }
  if (result.files === 0) {
    throw new DropshipError('APP_EMPTY', `app directory ${appDir} has no files to stage (after .cfignore and the default ignores)`, {
      hint: 'stage the directory that holds your app; check .cfignore if it excludes everything',
    });
  }
  return result;
}
