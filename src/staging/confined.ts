import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { DropshipError } from '../errors.js';

/**
 * Read a file that a buildpack or the app may have planted (Procfile, launch.yml) without
 * following it out of `root`: as a symlink to /etc/shadow it would otherwise be read by root on
 * the host. Call only once nothing runs in the staging container any more (no race).
 */
export async function readConfined(root: string, relative: string, maxBytes = 1024 * 1024): Promise<string | undefined> {
  const path = join(root, relative);
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const base = await realpath(root);
  if (!real.startsWith(base + sep)) {
    throw new DropshipError('STAGING_FILE_OUTSIDE', `${relative} points outside the ${root.endsWith('app') ? 'app' : 'staging'} directory`, {
      hint: `make ${relative} a regular file (a symlink must stay inside the app)`,
    });
  }
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new DropshipError('STAGING_FILE_INVALID', `${relative} is not a regular file`, { hint: `make ${relative} a file` });
    }
    if (info.size > maxBytes) {
      throw new DropshipError('STAGING_FILE_TOO_LARGE', `${relative} is ${info.size} bytes, more than the ${maxBytes} allowed`, {
        hint: `${relative} should be a few lines of text`,
      });
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
