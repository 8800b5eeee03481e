import { lstat, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type HomePaths, homePaths } from '../home.js';
import type { Digest } from './digest.js';
import { gzipCacheEntries } from './gzip-cache.js';
import { readConfig, readManifest } from './image.js';
import { type Store, openStore } from './layout.js';
import { INDEX_TYPES, MediaType } from './media-types.js';
import { withImageLock } from './store-lock.js';
import { listUnpacked } from './unpack-cache.js';

export interface GcOptions {
  dryRun?: boolean;
  /** Blobs no tag points at that must stay: the current build of each stack. */
  keep?: Digest[];
  /** Image manifests no tag points at that must stay with everything they reference: the releases of apps. */
  keepImages?: Digest[];
  home?: HomePaths;
  store?: Store;
}

export interface GcResult {
  dryRun: boolean;
  blobs: Array<{ digest: Digest; size: number }>;
  unpacked: Array<{ path: string; diffId: Digest; size: number }>;
  /** Unreferenced unpacked layers left alone because a mounted overlay still uses them. */
  inUse: string[];
  bytes: number;
  warnings: string[];
}

async function treeSize(path: string): Promise<number> {
  const stats = await lstat(path).catch(() => undefined);
  if (!stats) return 0;
  if (!stats.isDirectory()) return stats.size;
  let total = stats.size;
  for (const name of await readdir(path).catch(() => [] as string[])) total += await treeSize(join(path, name));
  return total;
}

/**
 * Mark everything reachable from a tag (manifest, config, layers, the gzip copies of those
 * layers) plus `keep`, then sweep the rest of the blobs and the unpacked layers whose diff_id
 * nothing references. Holds the image lock, so no build can lose a blob it wrote but has not
 * tagged yet.
 */
export async function gc(options: GcOptions = {}): Promise<GcResult> {
  const home = options.home ?? homePaths();
  const store = options.store ?? openStore(home);
  const dryRun = options.dryRun ?? false;
  await store.layout.ensure();
  return withImageLock(store, async () => {
    const warnings: string[] = [];
    const blobs = new Set<Digest>(options.keep ?? []);
    const diffIds = new Set<Digest>(options.keep ?? []);
    const roots = [...(await store.layout.refs())];
    for (const digest of options.keepImages ?? []) {
      const size = await store.blobs.size(digest);
      if (size === undefined) warnings.push(`image ${digest} that a release names is not in the store`);
      else roots.push({ name: digest, descriptor: { mediaType: MediaType.manifest, digest, size } });
    }
    for (const ref of roots) {
      blobs.add(ref.descriptor.digest);
      if (INDEX_TYPES.includes(ref.descriptor.mediaType)) {
        warnings.push(`${ref.name} is an image index; its children are kept only if tagged`);
        continue;
      }
      try {
        const manifest = await readManifest(store, ref.descriptor, ref.name);
        blobs.add(manifest.config.digest);
        for (const layer of manifest.layers) blobs.add(layer.digest);
        const config = await readConfig(store, manifest, ref.name);
        for (const diffId of config.rootfs.diff_ids) diffIds.add(diffId);
      } catch (error) {
        warnings.push(`${ref.name}: ${(error as Error).message}; only what could be read is kept`);
      }
    }
    for (const entry of await gzipCacheEntries(store)) {
      if (entry.descriptor && diffIds.has(entry.diffId)) blobs.add(entry.descriptor.digest);
      else if (!dryRun) await rm(entry.path, { force: true });
    }
    const removedBlobs: GcResult['blobs'] = [];
    for (const digest of await store.blobs.list()) {
      if (blobs.has(digest)) continue;
      removedBlobs.push({ digest, size: (await store.blobs.size(digest)) ?? 0 });
      if (!dryRun) await store.blobs.remove(digest);
    }
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
    const removedUnpacked: GcResult['unpacked'] = [];
    const inUse: string[] = [];
    for (const layer of await listUnpacked(home)) {
      const diffId = `sha256:${layer.diffIdHex}` as Digest;
      if (diffIds.has(diffId)) continue;
      if (mountinfo.includes(layer.path)) {
        inUse.push(layer.path);
        continue;
      }
      removedUnpacked.push({ path: layer.path, diffId, size: await treeSize(layer.path) });
      if (!dryRun) await rm(layer.path, { recursive: true, force: true });
    }
    const bytes = [...removedBlobs, ...removedUnpacked].reduce((sum, x) => sum + x.size, 0);
    return { dryRun, blobs: removedBlobs, unpacked: removedUnpacked, inUse, bytes, warnings };
  });
}

