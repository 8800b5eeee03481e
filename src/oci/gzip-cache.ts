import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DropshipError } from '../errors.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { type Descriptor, type Digest, digestHex, validateDescriptor } from './digest.js';
import type { Store } from './layout.js';
import { writeLayer } from './layer-write.js';
import { isGzipLayer } from './media-types.js';

/**
 * The store keeps layers uncompressed; registries and exports want gzip. The gzip blob of each
 * diff_id is kept in the store and remembered here, so a second push or export does not
 * compress again (gzip is the slow part of a push).
 */
function cacheDir(store: Store): string {
  return join(dirname(store.layout.dir), 'oci-gzip');
}

function entryPath(store: Store, diffId: Digest): string {
  return join(cacheDir(store), `${digestHex(diffId)}.json`);
}

async function cachedGzip(store: Store, diffId: Digest): Promise<Descriptor | undefined> {
  try {
    const descriptor = validateDescriptor(JSON.parse(await readFile(entryPath(store, diffId), 'utf8')), 'gzip cache entry');
    return (await store.blobs.size(descriptor.digest)) === descriptor.size ? descriptor : undefined;
  } catch {
    return undefined;
  }
}

async function rememberGzip(store: Store, diffId: Digest, descriptor: Descriptor): Promise<void> {
  await writeJsonAtomic(entryPath(store, diffId), descriptor);
}

/** All diff_id → gzip blob entries, for gc; an unreadable entry comes without a descriptor. */
export async function gzipCacheEntries(store: Store): Promise<Array<{ diffId: Digest; descriptor?: Descriptor; path: string }>> {
  const names = await readdir(cacheDir(store)).catch(() => [] as string[]);
  const entries = [];
  for (const name of names.filter((n) => /^[a-f0-9]{64}\.json$/.test(n)).sort()) {
    const path = join(cacheDir(store), name);
    const descriptor = await readFile(path, 'utf8').then((text) => validateDescriptor(JSON.parse(text))).catch(() => undefined);
    entries.push({ diffId: `sha256:${name.slice(0, 64)}` as Digest, descriptor, path });
  }
  return entries;
}

/** The gzip form of a layer: the layer itself when already gzipped, else the cached or a new gzip blob. */
export async function gzipLayer(store: Store, layer: Descriptor, diffId: Digest): Promise<Descriptor> {
  if (isGzipLayer(layer.mediaType)) return layer;
  const cached = await cachedGzip(store, diffId);
  if (cached) return cached;
  const written = await writeLayer(await store.blobs.openRead(layer), store.blobs, { compress: true });
  if (written.diffId !== diffId) {
    throw new DropshipError('DIFF_ID_MISMATCH', `layer ${layer.digest}: its tar hashes to ${written.diffId}, the image config says ${diffId}`, {
      hint: 'the store is damaged; rebuild the image',
    });
  }
  await rememberGzip(store, diffId, written.descriptor);
  return written.descriptor;
}
