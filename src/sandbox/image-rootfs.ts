import type { ImageConfig } from '../oci/index.js';
import type { IdMap } from '../security/idmap.js';

/**
 * The oci modules `run` needs load on first use, and only those: the room's index also loads
 * the rest of the room, about 55 ms of every supervisor's start-up.
 */
function oci() {
  return Promise.all([import('../oci/layout.js'), import('../oci/image.js'), import('../oci/unpack-cache.js')]).then(([layout, image, cache]) => ({
    openStore: layout.openStore,
    resolveImage: image.resolveImage,
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

/** Resolve NAME[:TAG] in the store and unpack its layers (cached per layer and id map). */
export async function loadAppImage(image: string, idMap: IdMap): Promise<AppImage> {
  const { ensureUnpacked, openStore, resolveImage } = await oci();
  const store = openStore();
  const resolved = await resolveImage(store, image);
  const lowerDirs: string[] = [];
  for (const [i, layer] of resolved.manifest.layers.entries()) {
    lowerDirs.push(await ensureUnpacked({ ...layer, diffId: resolved.config.rootfs.diff_ids[i] }, idMap));
  }
  return { ref: resolved.ref, digest: resolved.descriptor.digest, config: resolved.config.config ?? {}, lowerDirs };
}

/** The image's config without unpacking anything: enough to validate `run` before starting. */
export async function inspectAppImage(image: string): Promise<{ ref: string; config: ImageConfig['config'] }> {
  // Not oci(): the layer unpacker it loads is about 80 ms of the CLI's `run`, which reads only a config.
  const [{ openStore }, { resolveImage }] = await Promise.all([import('../oci/layout.js'), import('../oci/image.js')]);
  const resolved = await resolveImage(openStore(), image);
  return { ref: resolved.ref, config: resolved.config.config ?? {} };
}
