import { chown, mkdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { hostGid, hostUid, type IdMap } from '../security/idmap.js';
import { runTool } from '../util/run-tool.js';
import { createQuotaDisk, isMounted, mountQuotaDisk, unmount } from './quota-disk.js';

export function rootfsPath(bundle: string): string {
  return join(bundle, 'rootfs');
}

/** The writable layer on a quota disk of its own, loop-mounted in the bundle. */
async function mountScratchDisk(bundle: string, bytes: number, uid: number, gid: number): Promise<string> {
  const image = join(bundle, 'disk.img');
  const mountPoint = join(bundle, 'disk');
  await createQuotaDisk(image, bytes, { uid, gid });
  await mountQuotaDisk(image, mountPoint);
  return mountPoint;
}

/**
 * An overlay of the unpacked layers (read-only lowerdirs, top first in the option string) and
 * a per-container upper dir. The upper dir is owned by the mapped root, because the merged root
 * directory takes its owner from it. It lives in the bundle, on a quota disk of its own
 * (`diskBytes`), or in `writableDir`, a directory the caller made (on its own quota disk: staging).
 */
export async function mountRootfs(bundle: string, lowerDirs: string[], idMap: IdMap, diskBytes?: number, writableDir?: string): Promise<string> {
  const target = rootfsPath(bundle);
  const uid = hostUid(idMap, 0);
  const gid = hostGid(idMap, 0);
  const scratch = writableDir ?? (diskBytes === undefined ? bundle : await mountScratchDisk(bundle, diskBytes, uid, gid));
  const upper = join(scratch, 'upper');
  const work = join(scratch, 'work');
  await Promise.all([mkdir(target, { mode: 0o755 }), mkdir(upper, { mode: 0o755 }), mkdir(work, { mode: 0o700 })]);
  await Promise.all([chown(upper, uid, gid), chown(work, uid, gid)]);
  // nosuid,nodev: a setuid file or device node the container made (or an image brought) is
  // inert on the host side of the mount; inside, no_new_privileges already disarms setuid.
  const options = `nosuid,nodev,lowerdir=${[...lowerDirs].reverse().join(':')},upperdir=${upper},workdir=${work}`;
  // `volatile` skips syncing the upper dir, which is thrown away with the container: without it
  // every unmount waits for a sync of the host filesystem (tens of ms on a busy disk).
  const volatile = await runTool('mount', ['-t', 'overlay', 'overlay', '-o', `volatile,${options}`, target]);
  if (volatile.failed) {
    const plain = await runTool('mount', ['-t', 'overlay', 'overlay', '-o', options, target]);
    if (plain.failed) {
      throw new DropshipError('ROOTFS_MOUNT', `overlay mount of ${target} failed: ${(plain.stderr || plain.code || `exit ${plain.exitCode}`).trim()}`, {
        hint: 'the kernel needs overlayfs (modprobe overlay) and the layer directories must exist',
        cause: plain,
      });
    }
  }
  return target;
}

export { isMounted } from './quota-disk.js';

/**
 * Bytes in use on the container's quota disk (its writable layer), from statfs of the disk's
 * mount; undefined for a container without one (its upper dir sits on the host's filesystem,
 * whose usage is not the container's).
 */
export async function quotaDiskUsedBytes(bundle: string): Promise<number | undefined> {
  const mountPoint = join(bundle, 'disk');
  if (!(await isMounted(mountPoint))) return undefined;
  const fs = await statfs(mountPoint);
  return (fs.blocks - fs.bfree) * fs.bsize;
}

/**
 * Unmount the rootfs, then the quota disk under it, if mounted; lazily when something still
 * holds them, so cleanup never wedges. The loop device goes with the disk's last unmount.
 */
export async function unmountRootfs(bundle: string): Promise<void> {
  await unmount(rootfsPath(bundle));
  await unmount(join(bundle, 'disk'));
}
