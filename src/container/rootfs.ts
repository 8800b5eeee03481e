import { chown, mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { DropshipError } from '../errors.js';
import { hostGid, hostUid, type IdMap } from '../security/idmap.js';

export function rootfsPath(bundle: string): string {
  return join(bundle, 'rootfs');
}

async function run(file: string, args: string[], step: string, hint: string): Promise<void> {
  const result = await execa(file, args, { reject: false, stdin: 'ignore' });
  if (result.failed) {
    throw new DropshipError('ROOTFS_MOUNT', `${step} failed: ${String(result.stderr || result.shortMessage).trim()}`, { hint, cause: result });
  }
}

/**
 * The disk quota: the writable layer lives on an ext4 filesystem in a sparse file of the quota's
 * size, loop-mounted in the bundle, so a container that fills it gets ENOSPC and the host's disk
 * is untouched. Files are only allocated as they are written.
 */
async function mountScratchDisk(bundle: string, bytes: number, uid: number, gid: number): Promise<string> {
  const image = join(bundle, 'disk.img');
  const mountPoint = join(bundle, 'disk');
  await mkdir(mountPoint, { mode: 0o711 });
  await writeFile(image, '', { mode: 0o600 });
  await truncate(image, bytes);
  const hint = 'the disk quota needs mkfs.ext4 (apt-get install e2fsprogs) and loop devices';
  await run('mkfs.ext4', ['-q', '-F', '-m', '0', '-O', '^has_journal', '-E', `root_owner=${uid}:${gid},nodiscard`, image], `mkfs.ext4 of the ${bytes}-byte disk ${image}`, hint);
  await run('mount', ['-o', 'loop,nosuid,nodev', image, mountPoint], `loop mount of ${image}`, hint);
  return mountPoint;
}

/**
 * An overlay of the unpacked layers (read-only lowerdirs, top first in the option string) and
 * a per-container upper dir. The upper dir is owned by the mapped root, because the merged root
 * directory takes its owner from it.
 */
export async function mountRootfs(bundle: string, lowerDirs: string[], idMap: IdMap, diskBytes?: number): Promise<string> {
  const target = rootfsPath(bundle);
  const uid = hostUid(idMap, 0);
  const gid = hostGid(idMap, 0);
  const scratch = diskBytes === undefined ? bundle : await mountScratchDisk(bundle, diskBytes, uid, gid);
  const upper = join(scratch, 'upper');
  const work = join(scratch, 'work');
  await Promise.all([mkdir(target, { mode: 0o755 }), mkdir(upper, { mode: 0o755 }), mkdir(work, { mode: 0o700 })]);
  await Promise.all([chown(upper, uid, gid), chown(work, uid, gid)]);
  // nosuid,nodev: a setuid file or device node the container made (or an image brought) is
  // inert on the host side of the mount; inside, no_new_privileges already disarms setuid.
  const options = `nosuid,nodev,lowerdir=${[...lowerDirs].reverse().join(':')},upperdir=${upper},workdir=${work}`;
  // `volatile` skips syncing the upper dir, which is thrown away with the container: without it
  // every unmount waits for a sync of the host filesystem (tens of ms on a busy disk).
  const volatile = await execa('mount', ['-t', 'overlay', 'overlay', '-o', `volatile,${options}`, target], { reject: false, stdin: 'ignore' });
  if (volatile.failed) {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', options, target], `overlay mount of ${target}`, 'the kernel needs overlayfs (modprobe overlay) and the layer directories must exist');
  }
  return target;
}

export async function isMounted(path: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((line) => line.split(' ')[1] === path);
}

async function unmount(path: string): Promise<void> {
  if (!(await isMounted(path))) return;
  const result = await execa('umount', [path], { reject: false });
  if (result.failed) await execa('umount', ['-l', path], { reject: false });
}

/**
 * Unmount the rootfs, then the quota disk under it, if mounted; lazily when something still
 * holds them, so cleanup never wedges. The loop device goes with the disk's last unmount.
 */
export async function unmountRootfs(bundle: string): Promise<void> {
  await unmount(rootfsPath(bundle));
  await unmount(join(bundle, 'disk'));
}
