import { rm } from 'node:fs/promises';
import { DropshipError } from '../errors.js';
import { runTool } from './run-tool.js';

/**
 * `rm -rf` of a tree that container code wrote (a staging's work dir, a build's app or layers).
 * Node's recursive rm names every entry by its full path, so a tree deeper than PATH_MAX (a
 * buildpack's `mkdir d && cd d` loop) failed with ENAMETOOLONG and stayed behind for good: each
 * build of such an app left one more in the store, and gc could not remove them either. coreutils
 * rm walks by directory descriptors at any depth; --one-file-system keeps it out of any mount.
 */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENAMETOOLONG' && code !== 'EMFILE' && code !== 'ENFILE') throw error;
  }
  const result = await runTool('rm', ['-rf', '--one-file-system', '--', path]);
  if (result.failed) {
    throw new DropshipError('REMOVE_FAILED', `cannot remove ${path}: ${result.stderr.split('\n')[0] || result.code || `rm exited ${result.exitCode}`}`, {
      hint: `remove it by hand (rm -rf --one-file-system ${path}); dropship gc retries it`,
      details: { path },
    });
  }
}
