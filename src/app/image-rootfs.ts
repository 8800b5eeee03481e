import type { ImageConfig } from '../oci/index.js';
import type { IdMap } from '../security/idmap.js';

/** The oci room loads on first use: the CLI imports this room for commands that never read an image. */
function oci() {
  return import('../oci/index.js');
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
  const { openStore, resolveImage } = await oci();
  const resolved = await resolveImage(openStore(), image);
  return { ref: resolved.ref, config: resolved.config.config ?? {} };
}
