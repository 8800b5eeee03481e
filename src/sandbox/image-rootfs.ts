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

/**
 * NAME[:TAG], or a manifest digest (what a release pins): a digest needs no tag, so an image
 * stays startable after its tag moved on (a push, a rebase).
 */
async function resolveInStore(image: string, modules: { openStore: typeof import('../oci/layout.js').openStore; image: typeof import('../oci/image.js') }) {
  return modules.image.resolveImage(modules.openStore(), image);
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

export interface InspectedImage {
  ref: string;
  digest: string;
  config: ImageConfig['config'];
  /**
   * The stack it sits on (its io.dropship.stack label) and that stack's build: the diff_id of
   * the bottom layer, what every container of it unpacks, as repave reads it. Null without the label.
   */
  stack: { name: string; build: string } | null;
}

/** The image's config and digest without unpacking anything: enough to validate `run` and make a release. */
export async function inspectAppImage(image: string): Promise<InspectedImage> {
  // Not oci(): the layer unpacker it loads is about 80 ms of the CLI's `run`, which reads only a config.
  const [{ openStore }, imageModule] = await Promise.all([import('../oci/layout.js'), import('../oci/image.js')]);
  const resolved = await resolveInStore(image, { openStore, image: imageModule });
  const config = resolved.config.config ?? {};
  const name = config.Labels?.[imageModule.Label.stack];
  const build = resolved.config.rootfs.diff_ids[0];
  return { ref: resolved.ref, digest: resolved.descriptor.digest, config, stack: name !== undefined && build !== undefined ? { name, build } : null };
}
