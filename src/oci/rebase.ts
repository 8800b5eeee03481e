import { DropshipError } from '../errors.js';
import type { Digest } from './digest.js';
import { type BaseLayer, STACK_LABELS, baseLayerDescriptor, stackHistory, stackLabels } from './image-build.js';
import { type ImageConfig, Label, commitImage, resolveImage } from './image.js';
import { type Store, openStore } from './layout.js';
import { withImageLock } from './store-lock.js';

export interface RebaseOptions {
  /** Allow moving the image to a different stack (its libraries may not suit the droplet). */
  force?: boolean;
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
    const image = await resolveImage(store, nameTag);
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
    const [, ...history] = image.config.history ?? [];
    const config: ImageConfig = {
      ...image.config,
      config: { ...image.config.config, Labels: { ...withoutStackLabels(labels), ...stackLabels(stack) } },
      rootfs: { type: 'layers', diff_ids: [stack.diffId, ...image.config.rootfs.diff_ids.slice(1)] },
      history: [stackHistory(stack, image.config.created), ...history],
    };
    const descriptor = await commitImage(store, image.ref, [base, ...image.manifest.layers.slice(1)], config);
    return { ...result, digest: descriptor.digest, changed: true };
  });
}

/** An SBOM label of the old build must not survive onto a build that has none. */
function withoutStackLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([key]) => !STACK_LABELS.includes(key)));
}
