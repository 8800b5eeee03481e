import { pipeline } from 'node:stream/promises';
import { DropshipError } from '../errors.js';
import { writeStreamAtomic } from '../util/atomic-stream.js';
import { BlobStore } from './cas.js';
import { type Descriptor, type Digest, digestHex, sha256Digest } from './digest.js';
import { gzipLayer } from './gzip-cache.js';
import { type ImageManifest, jsonBytes, resolveImage } from './image.js';
import { ImageLayout, type Store, openStore } from './layout.js';
import { MediaType, REF_NAME } from './media-types.js';
import { withImageLock } from './store-lock.js';
import { type PackEntry, packEntries } from './tar-write.js';

export interface ExportTarget {
  ociLayout?: string;
  ociArchive?: string;
}

export interface ExportResult {
  /** The ref name in the written layout: the image's tag, as the OCI convention has it. */
  ref: string;
  /** Digest of the exported manifest (layers gzipped, so it differs from the store's when they were not). */
  digest: Digest;
  path: string;
  layers: Descriptor[];
}

/**
 * What an export writes: the image with gzipped layers (the store keeps them uncompressed;
 * compressing uses the per-diff_id cache), its config, and a manifest. When nothing had to be
 * compressed, the original manifest bytes are kept, so a pulled image keeps its digest.
 */
export async function exportPlan(store: Store, nameTag: string): Promise<{ tag: string; manifest: Descriptor; manifestBytes: Buffer; blobs: Descriptor[] }> {
  const image = await resolveImage(store, nameTag);
  // Under the image lock: a gzip copy is not referenced until its cache entry is written.
  const layers = await withImageLock(store, async () => {
    const gzipped: Descriptor[] = [];
    for (const [i, layer] of image.manifest.layers.entries()) gzipped.push(await gzipLayer(store, layer, image.config.rootfs.diff_ids[i]!));
    return gzipped;
  });
  const unchanged = layers.every((l, i) => l.digest === image.manifest.layers[i]!.digest);
  let manifestBytes: Buffer;
  if (unchanged) {
    manifestBytes = await store.blobs.readBytes(image.descriptor);
  } else {
    const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.manifest, config: image.manifest.config, layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })) };
    manifestBytes = jsonBytes(manifest);
  }
  const manifest: Descriptor = { mediaType: unchanged ? image.descriptor.mediaType : MediaType.manifest, digest: sha256Digest(manifestBytes), size: manifestBytes.length };
  return { tag: image.tag, manifest, manifestBytes, blobs: [image.manifest.config, ...layers] };
}

export async function exportImage(nameTag: string, target: ExportTarget, store: Store = openStore()): Promise<ExportResult> {
  if (Boolean(target.ociLayout) === Boolean(target.ociArchive)) {
    throw new DropshipError('EXPORT_TARGET', 'image export needs exactly one of --oci-layout DIR and --oci-archive FILE.tar', {
      hint: 'e.g. dropship image export myapp:v1 --oci-layout ./out',
    });
  }
  const plan = await exportPlan(store, nameTag);
  if (target.ociLayout) {
    const layout = new ImageLayout(target.ociLayout);
    const blobs = new BlobStore(target.ociLayout);
    await layout.ensure();
    for (const blob of plan.blobs) {
      if (await blobs.has(blob.digest)) continue;
      await blobs.writeStream(await store.blobs.openRead(blob), { expectedDigest: blob.digest, expectedSize: blob.size });
    }
    await blobs.writeBytes(plan.manifestBytes);
    await layout.setRef(plan.tag, plan.manifest);
    return { ref: plan.tag, digest: plan.manifest.digest, path: target.ociLayout, layers: plan.blobs.slice(1) };
  }
  const file = target.ociArchive!;
  const index = { schemaVersion: 2, mediaType: MediaType.index, manifests: [{ ...plan.manifest, annotations: { [REF_NAME]: plan.tag } }] };
  const dir = (name: string): PackEntry => ({ name, type: 'directory', mode: 0o755, uid: 0, gid: 0 });
  const file0644 = (name: string, body: Buffer): PackEntry => ({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, size: body.length, body });
  const blobs = [...plan.blobs, plan.manifest].sort((a, b) => (a.digest < b.digest ? -1 : 1)).filter((b, i, all) => i === 0 || all[i - 1]!.digest !== b.digest);
  async function* entries(): AsyncGenerator<PackEntry> {
    yield dir('blobs/');
    yield dir('blobs/sha256/');
    for (const blob of blobs) {
      const name = `blobs/sha256/${digestHex(blob.digest)}`;
      if (blob.digest === plan.manifest.digest) yield file0644(name, plan.manifestBytes);
      else yield { name, type: 'file', mode: 0o644, uid: 0, gid: 0, size: blob.size, body: await store.blobs.openRead(blob) };
    }
    yield file0644('index.json', Buffer.from(JSON.stringify(index)));
    yield file0644('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  }
  await writeStreamAtomic(file, (out) => pipeline(packEntries(entries()), out));
  return { ref: plan.tag, digest: plan.manifest.digest, path: file, layers: plan.blobs.slice(1) };
}
