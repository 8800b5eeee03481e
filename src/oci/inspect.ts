import { DropshipError } from '../errors.js';
import type { Digest } from './digest.js';
import { type ImageConfig, Label, SOURCE_ANNOTATION, parseImageName, readConfig, readManifest, resolveImage, splitRef } from './image.js';
import { type Store, openStore } from './layout.js';
import { withImageLock } from './store-lock.js';

export interface ImageSummary {
  name: string;
  tag: string;
  digest: Digest;
  created?: string;
  stack?: string;
  /** Sum of the layer blobs' sizes as stored. */
  size: number;
}

export interface ImageDetails extends ImageSummary {
  mediaType: string;
  config: ImageConfig;
  configDigest: Digest;
  layers: Array<{ mediaType: string; digest: Digest; size: number; diffId: Digest }>;
  /** Where the image came from when it was pulled (`REGISTRY/REPO@digest`). */
  source?: string;
}

/** Every tagged image in the store; a damaged one is listed with what could be read. */
export async function listImages(store: Store = openStore()): Promise<ImageSummary[]> {
  const rows: ImageSummary[] = [];
  for (const ref of await store.layout.refs()) {
    const { name, tag } = splitRef(ref.name);
    const row: ImageSummary = { name, tag, digest: ref.descriptor.digest, size: 0 };
    try {
      const manifest = await readManifest(store, ref.descriptor, ref.name);
      const config = await readConfig(store, manifest, ref.name);
      row.size = manifest.layers.reduce((sum, l) => sum + l.size, 0);
      row.created = config.created;
      row.stack = config.config.Labels?.[Label.stack];
    } catch {
      // listed anyway: `image inspect` names what is wrong with it
    }
    rows.push(row);
  }
  return rows.sort((a, b) => (a.name === b.name ? a.tag.localeCompare(b.tag) : a.name.localeCompare(b.name)));
}

export async function inspectImage(nameTag: string, store: Store = openStore()): Promise<ImageDetails> {
  const image = await resolveImage(store, nameTag);
  return {
    name: image.name,
    tag: image.tag,
    digest: image.descriptor.digest,
    mediaType: image.descriptor.mediaType,
    created: image.config.created,
    stack: image.config.config.Labels?.[Label.stack],
    size: image.manifest.layers.reduce((sum, l) => sum + l.size, 0),
    configDigest: image.manifest.config.digest,
    config: image.config,
    layers: image.manifest.layers.map((l, i) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size, diffId: image.config.rootfs.diff_ids[i]! })),
    ...(image.descriptor.annotations?.[SOURCE_ANNOTATION] ? { source: image.descriptor.annotations[SOURCE_ANNOTATION] } : {}),
  };
}

/** Untag; the blobs stay until `dropship gc`. A damaged image can be removed too. */
export async function removeImage(nameTag: string, store: Store = openStore()): Promise<{ name: string; tag: string; digest: Digest }> {
  const { name, tag, ref } = parseImageName(nameTag);
  return withImageLock(store, async () => {
    const descriptor = await store.layout.getRef(ref);
    if (!descriptor) throw new DropshipError('IMAGE_NOT_FOUND', `image ${ref} is not in the store`, { hint: 'list images with dropship image ls' });
    await store.layout.removeRef(ref);
    return { name, tag, digest: descriptor.digest };
  });
}
