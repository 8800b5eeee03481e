import { DropshipError } from '../errors.js';
import type { Digest } from './digest.js';
import { type BaseLayer, STACK_LABELS, baseLayerDescriptor, stackHistory, stackLabels } from './image-build.js';
import { type ImageConfig, Label, MANIFEST_DIGEST_REF, commitImage, resolveImage, resolveManifestDigest, writeImage } from './image.js';
import { type Store, openStore } from './layout.js';
import { withImageLock } from './store-lock.js';

export interface RebaseOptions {
  /** Allow moving the image to a different stack (its libraries may not suit the droplet). */
  force?: boolean;
  /**
   * Rebase this manifest (what an app's release pins) rather than what the tag points at now.
   * The tag moves to the result only while it still points at `digest`; otherwise the rebased
   * image is written untagged (the release that names it keeps it from gc).
   */
  digest?: Digest;
  store?: Store;
}

export interface RebaseResult {
  name: string;
  tag: string;
  digest: Digest;
  previousDigest: Digest;
  stack: string;
  previousBase: Digest;
  base: Digest;
  /** False when the image already sat on this stack build. */
  changed: boolean;
}

/**
 * Put an image on another build of its stack: layer 0 and diff_id 0 are swapped, the stack labels
 * and history follow, and a new manifest is tagged. Only the manifest and config are read, so it
 * costs the same for a 5 MB droplet as for a 500 MB one.
 */
export async function rebaseImage(nameTag: string, stack: BaseLayer, options: RebaseOptions = {}): Promise<RebaseResult> {
  const store = options.store ?? openStore();
  return withImageLock(store, async () => {
    // An image named by its digest (an app started from `sha256:…`) has no tag to move.
    const byDigest = MANIFEST_DIGEST_REF.test(nameTag);
    const image = options.digest ? await resolveManifestDigest(store, nameTag, options.digest) : await resolveImage(store, nameTag);
    const labels = image.config.config.Labels ?? {};
    const current = labels[Label.stack];
    if (current === undefined && !options.force) {
      throw new DropshipError('REBASE_UNKNOWN_STACK', `image ${image.ref} has no ${Label.stack} label, so its stack is unknown`, {
        hint: `rebase with --force to put it on stack ${stack.name} anyway`,
      });
    }
    if (current !== undefined && current !== stack.name && !options.force) {
      throw new DropshipError('REBASE_OTHER_STACK', `image ${image.ref} is built on stack ${current}, not ${stack.name}`, {
        hint: `rebase onto ${current} (the default), or pass --force to move it to ${stack.name}: the droplet's binaries may not run there`,
      });
    }
    const base = await baseLayerDescriptor(store, stack);
    const previousBase = image.config.rootfs.diff_ids[0]!;
    const result = { name: image.name, tag: image.tag, previousDigest: image.descriptor.digest, stack: stack.name, previousBase, base: stack.diffId };
    if (previousBase === stack.diffId && current === stack.name) return { ...result, digest: image.descriptor.digest, changed: false };
    const cnb = cnbRunImage(image.ref, labels, image.config.rootfs.diff_ids);
    const runLayers = cnb?.count ?? 1;
    const history = (image.config.history ?? []).slice(runLayers);
    const config: ImageConfig = {
      ...image.config,
      config: { ...image.config.config, Labels: { ...restacked(labels, stack), ...(cnb ? { [CNB_LIFECYCLE_LABEL]: cnb.relabel(stack) } : {}) } },
      rootfs: { type: 'layers', diff_ids: [stack.diffId, ...image.config.rootfs.diff_ids.slice(runLayers)] },
      history: [stackHistory(stack, image.config.created), ...history],
    };
    const layers = [base, ...image.manifest.layers.slice(runLayers)];
    const tagged = !byDigest && (!options.digest || (await store.layout.getRef(image.ref))?.digest === options.digest);
    const descriptor = tagged ? await commitImage(store, image.ref, layers, config) : await writeImage(store, layers, config);
    return { ...result, digest: descriptor.digest, changed: true };
  });
}

/** A Cloud Native Buildpacks image names its run image's top layer in this label (platform.md "Rebaser"). */
const CNB_LIFECYCLE_LABEL = 'io.buildpacks.lifecycle.metadata';

/**
 * For a CNB image: how many bottom layers belong to the run image (up to runImage.topLayer),
 * and the label rewritten for the new stack build. Undefined for images without the label.
 */
function cnbRunImage(ref: string, labels: Record<string, string>, diffIds: Digest[]): { count: number; relabel: (stack: BaseLayer) => string } | undefined {
  const text = labels[CNB_LIFECYCLE_LABEL];
  if (text === undefined) return undefined;
  let metadata: { runImage?: { topLayer?: string; reference?: string } } & Record<string, unknown>;
  try {
    metadata = JSON.parse(text) as typeof metadata;
  } catch (error) {
    throw new DropshipError('REBASE_LABEL_INVALID', `image ${ref}: label ${CNB_LIFECYCLE_LABEL} is not JSON`, { hint: 'rebuild the image', cause: error, exitCode: 70 });
  }
  const top = metadata.runImage?.topLayer;
  const index = top === undefined ? -1 : diffIds.indexOf(top as Digest);
  if (index < 0) {
    throw new DropshipError('REBASE_TOP_LAYER_MISSING', `image ${ref}: ${CNB_LIFECYCLE_LABEL} runImage.topLayer ${top ?? '(none)'} is not one of the image's layers`, {
      hint: 'rebuild the image with dropship build', exitCode: 70,
    });
  }
  return {
    count: index + 1,
    relabel: (stack) => JSON.stringify({ ...metadata, runImage: { ...metadata.runImage, topLayer: stack.diffId, reference: `${stack.name}@${stack.diffId}` } }),
  };
}

/**
 * The labels with the old build's stack labels replaced by the new one's: an SBOM label of the old
 * build does not survive onto a build that has none. Key order needs no care here: configBytes
 * writes labels sorted, so rebasing back onto the original build gives the original config.
 */
function restacked(labels: Record<string, string>, stack: BaseLayer): Record<string, string> {
  const kept = Object.entries(labels).filter(([key]) => !STACK_LABELS.includes(key));
  return { ...Object.fromEntries(kept), ...stackLabels(stack) };
}
