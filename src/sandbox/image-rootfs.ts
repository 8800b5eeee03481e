import { DropshipError } from '../errors.js';
import type { ImageConfig } from '../oci/index.js';
import type { IdMap } from '../security/idmap.js';

/**
 * The oci modules `run` needs load on first use, and only those: the room's index also loads
 * the rest of the room, about 55 ms of every supervisor's start-up.
 */
function oci() {
  return Promise.all([import('../oci/layout.js'), import('../oci/image.js'), import('../oci/unpack-cache.js')]).then(([layout, image, cache]) => ({
    openStore: layout.openStore,
    image,
    ensureUnpacked: cache.ensureUnpacked,
  }));
}

export interface AppImage {
  ref: string;
  digest: string;
  config: ImageConfig['config'];
  /** Unpacked layers with ids shifted into the container's range, bottom first. */
  lowerDirs: string[];
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** Only checked against the manifest types dropship reads; the blob's own digest is what is verified. */
const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';

/**
 * NAME[:TAG], or a manifest digest (what a release pins): a digest needs no tag, so an image
 * stays startable after its tag moved on (a push, a rebase).
 */
async function resolveInStore(image: string, modules: { openStore: typeof import('../oci/layout.js').openStore; image: typeof import('../oci/image.js') }) {
  const store = modules.openStore();
  if (!DIGEST.test(image)) return modules.image.resolveImage(store, image);
  const size = await store.blobs.size(image as `sha256:${string}`);
  if (size === undefined) {
    throw new DropshipError('IMAGE_NOT_FOUND', `image ${image} is not in the store`, {
      hint: 'push the app again, or roll back to a release whose image is still there (`dropship releases APP`)',
    });
  }
  const descriptor = { mediaType: MANIFEST_MEDIA_TYPE, digest: image as `sha256:${string}`, size };
  const manifest = await modules.image.readManifest(store, descriptor, image);
  const config = await modules.image.readConfig(store, manifest, image);
  return { ref: image, descriptor, manifest, config };
}

/** Resolve NAME[:TAG] or a digest in the store and unpack its layers (cached per layer and id map). */
export async function loadAppImage(image: string, idMap: IdMap): Promise<AppImage> {
  const { ensureUnpacked, openStore, image: imageModule } = await oci();
  const resolved = await resolveInStore(image, { openStore, image: imageModule });
  const lowerDirs: string[] = [];
  for (const [i, layer] of resolved.manifest.layers.entries()) {
    lowerDirs.push(await ensureUnpacked({ ...layer, diffId: resolved.config.rootfs.diff_ids[i] }, idMap));
  }
  return { ref: resolved.ref, digest: resolved.descriptor.digest, config: resolved.config.config ?? {}, lowerDirs };
}

/** The image's config and digest without unpacking anything: enough to validate `run` and make a release. */
export async function inspectAppImage(image: string): Promise<{ ref: string; digest: string; config: ImageConfig['config'] }> {
  // Not oci(): the layer unpacker it loads is about 80 ms of the CLI's `run`, which reads only a config.
  const [{ openStore }, imageModule] = await Promise.all([import('../oci/layout.js'), import('../oci/image.js')]);
  const resolved = await resolveInStore(image, { openStore, image: imageModule });
  return { ref: resolved.ref, digest: resolved.descriptor.digest, config: resolved.config.config ?? {} };
}
