import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { DropshipError } from '../errors.js';
import { runTool } from '../util/run-tool.js';

async function run(file: string, args: string[], step: string, hint: string): Promise<void> {
  const result = await runTool(file, args);
  if (result.failed) {
    throw new DropshipError('ROOTFS_MOUNT', `${step} failed: ${(result.stderr || result.code || `exit ${result.exitCode}`).trim()}`, { hint, cause: result });
  }
}

const HINT = 'a disk quota needs mkfs.ext4 (apt-get install e2fsprogs) and loop devices';

/**
 * A disk quota is an ext4 filesystem in a sparse file of the quota's size: whatever writes into
 * it gets ENOSPC at the limit while the host's disk is untouched, and blocks are only allocated
 * as they are written. No reserved blocks and no journal: the limit is what the user asked for.
 */
export async function createQuotaDisk(image: string, bytes: number, owner: { uid: number; gid: number }): Promise<void> {
  await writeFile(image, '', { mode: 0o600 });
  await truncate(image, bytes);
  await run('mkfs.ext4', ['-q', '-F', '-m', '0', '-O', '^has_journal', '-E', `root_owner=${owner.uid}:${owner.gid},nodiscard`, image], `mkfs.ext4 of the ${bytes}-byte disk ${image}`, HINT);
}

/**
 * Loop-mount a quota disk nosuid,nodev (nothing on it is a usable setuid file or device on the
 * host). `discard` hands freed blocks back to the sparse file, for a disk that is kept and reused.
 */
export async function mountQuotaDisk(image: string, mountPoint: string, options: { discard?: boolean } = {}): Promise<void> {
  await mkdir(mountPoint, { recursive: true, mode: 0o700 });
  await run('mount', ['-o', `loop,nosuid,nodev${options.discard ? ',discard' : ''}`, image, mountPoint], `loop mount of ${image}`, HINT);
}

export async function isMounted(path: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((line) => line.split(' ')[1] === path);
}

/** Unmount if mounted; lazily when something still holds it, so cleanup never wedges. */
export async function unmount(path: string): Promise<void> {
  if (!(await isMounted(path))) return;
  const result = await runTool('umount', [path]);
  if (result.failed) await runTool('umount', ['-l', path]);
}
