import { mkdir, readdir, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { createQuotaDisk, mountQuotaDisk, unmount } from '../container/index.js';
import { DropshipError } from '../errors.js';

/**
 * Staging's disk limit: one ext4 quota disk per app, kept in its cache directory
 * (`cache/<app>/disk.img`), holds everything a buildpack can write to — the build dir, deps,
 * profile.d, the cache and the staging container's writable layer — so a buildpack that fills
 * it gets ENOSPC while the host's disk is untouched. The image is sparse and mounted with
 * `discard`, so the host keeps only what the cache holds between stagings. The per-app staging
 * lock makes it one staging's at a time.
 */
export interface StagingDisk {
  /** The persistent cache, on the disk. */
  cacheDir: string;
  /** This staging's own files (droplet tree, env, writable layer), emptied every time. */
  workDir: string;
  /** The image file, for messages. */
  image: string;
  /** Whether the disk is (nearly) full: a failed step was out of space. */
  full(): Promise<boolean>;
  /** Remove this staging's own files (the cache stays), then unmount; safe to call twice. */
  close(): Promise<void>;
}

const IMAGE = 'disk.img';

/** Less than this free means a step that failed ran out of space (ext4 keeps no reserve here). */
function nearlyFull(totalBytes: number): number {
  return Math.max(1024 * 1024, totalBytes / 100);
}

export async function openStagingDisk(appCacheDir: string, mountPoint: string, bytes: number, warn: (message: string) => void): Promise<StagingDisk> {
  const image = join(appCacheDir, IMAGE);
  await mkdir(appCacheDir, { recursive: true, mode: 0o700 });
  // Caches from before the disk limit were plain directories beside where the image goes.
  for (const name of await readdir(appCacheDir)) if (name !== IMAGE) await rm(join(appCacheDir, name), { recursive: true, force: true });
  const existing = await stat(image).catch(() => undefined);
  if (existing && existing.size !== bytes) {
    warn(`the staging disk limit changed (${existing.size} → ${bytes} bytes): the staging cache starts empty`);
    await rm(image, { force: true });
  }
  if (!existing || existing.size !== bytes) await createQuotaDisk(image, bytes, { uid: 0, gid: 0 });
  await mountQuotaDisk(image, mountPoint, { discard: true });
  let closed = false;
  const disk: StagingDisk = {
    cacheDir: join(mountPoint, 'cache'),
    workDir: join(mountPoint, 'staging'),
    image,
    async full() {
      const info = await statfs(mountPoint).catch(() => undefined);
      return info !== undefined && info.bavail * info.bsize < nearlyFull(info.blocks * info.bsize);
    },
    async close() {
      if (closed) return;
      closed = true;
      // With `discard`, what this staging wrote goes back to the host before the next one.
      await rm(disk.workDir, { recursive: true, force: true }).catch(() => undefined);
      await unmount(mountPoint);
    },
  };
  try {
    // Left over by a staging that was killed: nothing of it is reused.
    await rm(disk.workDir, { recursive: true, force: true });
    await mkdir(disk.workDir, { mode: 0o700 });
    await mkdir(disk.cacheDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    await disk.close();
    throw error;
  }
  return disk;
}

/** The one message for a full staging disk, whatever step hit it. */
export function diskFullError(step: string, limit: string, cause?: unknown): DropshipError {
  return new DropshipError('STAGING_DISK_FULL', `${step}: No space left (staging disk limit ${limit})`, {
    hint: 'raise the limit: dropship stage --disk SIZE, or push -k SIZE / disk_quota in manifest.yml',
    cause,
    details: { step },
  });
}
