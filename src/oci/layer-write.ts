import { createHash } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { BlobStore } from './cas.js';
import { type Descriptor, type Digest, hashThrough } from './digest.js';
import { MediaType } from './media-types.js';
import { packDirectory, type PackOptions } from './tar-write.js';

export interface WriteLayerOptions {
  /**
   * Store the layer gzipped (`…tar+gzip`). Default false: measured here (bench/layers.ts), gzip
   * makes a layer write several times slower while local disk is cheap; compress on push/export.
   */
  compress?: boolean;
  /** zlib level when compressing; 6 is gzip's default. */
  level?: number;
  /** How to archive when `source` is a directory. */
  pack?: PackOptions;
}

export interface WrittenLayer {
  descriptor: Descriptor;
  /** sha256 of the uncompressed tar: what the image config's rootfs.diff_ids lists. */
  diffId: Digest;
  /** False when the store already had this layer (nothing was renamed into place). */
  written: boolean;
}

/**
 * Turn a tar stream (or a directory, archived reproducibly) into a layer blob in ONE pass: the tar
 * is hashed for the diff_id on its way to the store, and when compressing, the gzip output is
 * hashed by the store for the digest. The layer never sits in memory.
 */
export async function writeLayer(
  source: Readable | string,
  store: BlobStore | { blobs: BlobStore },
  options: WriteLayerOptions = {},
): Promise<WrittenLayer> {
  const blobs = store instanceof BlobStore ? store : store.blobs;
  const tar = typeof source === 'string' ? packDirectory(source, options.pack) : source;
  if (!options.compress) {
    const blob = await blobs.writeStream(tar);
    return { descriptor: { mediaType: MediaType.layer, digest: blob.digest, size: blob.size }, diffId: blob.digest, written: blob.written };
  }
  const diffHash = createHash('sha256');
  // pipeline() returns the gzip stream and ties the ends together: an error on either side
  // (a file changing under the tar, a full disk in the store) destroys the other.
  const compressed = pipeline(
    tar,
    hashThrough(diffHash),
    createGzip({ level: options.level ?? 6 }),
    () => undefined,
  );
  const blob = await blobs.writeStream(compressed);
  return {
    descriptor: { mediaType: MediaType.layerGzip, digest: blob.digest, size: blob.size },
    diffId: `sha256:${diffHash.digest('hex')}`,
    written: blob.written,
  };
}
