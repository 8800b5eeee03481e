import { listAppNames, readAppSpec, rebasedImageName, rollbackApp, updateApp } from '../apps/index.js';
import { DropshipError } from '../errors.js';
import { Label, MediaType, type Digest, openStore, rebaseImage } from '../oci/index.js';
import { getStack, listStacks, type StackInfo } from '../stack/index.js';
import type { RepaveSeams } from './coordinator.js';
import type { AppOnStack, RepaveItem } from './plan.js';

/**
 * Every app's current release and the stack build under its image. The build is read from the
 * image itself — diff_id 0, the layer every container of the release unpacks — not from a tag
 * or a label that could say otherwise; the stack's name comes from its label.
 */
export async function appsOnStacks(): Promise<AppOnStack[]> {
  const store = openStore();
  const { readConfig, readManifest } = await import('../oci/image.js');
  const apps: AppOnStack[] = [];
  for (const name of await listAppNames()) {
    const spec = await readAppSpec(name).catch(() => undefined);
    if (!spec) continue;
    const entry: AppOnStack = { app: name, release: spec.release, image: spec.image, imageDigest: spec.imageDigest };
    // An image that is gone or unreadable leaves the stack unknown: the plan reports the app as
    // skipped rather than failing `ps` or the repave of every other app.
    const size = await store.blobs.size(spec.imageDigest as Digest).catch(() => undefined);
    if (size !== undefined) {
      try {
        const manifest = await readManifest(store, { mediaType: MediaType.manifest, digest: spec.imageDigest as Digest, size }, spec.imageDigest);
        const config = await readConfig(store, manifest, spec.imageDigest);
        entry.stack = config.config.Labels?.[Label.stack];
        entry.stackDiffId = config.rootfs.diff_ids[0];
      } catch {
        entry.stack = undefined;
      }
    }
    apps.push(entry);
  }
  return apps;
}

export async function currentStacks(): Promise<StackInfo[]> {
  return listStacks();
}

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/** The seams on the real store and apps: oci's rebase by digest, a release through the apps API, its rollback. */
export function liveSeams(): RepaveSeams {
  return {
    async rebase(item: RepaveItem) {
      const stack = await getStack(item.stack);
      if (!stack || stack.diffId !== item.target) {
        throw new DropshipError('STACK_MOVED', `stack ${item.stack}'s current build changed while repaving`, { hint: 'run dropship repave again' });
      }
      return (await rebaseImage(item.image, stack, { digest: item.imageDigest as Digest })).digest;
    },
    async release(item: RepaveItem, digest: string) {
      const change = { image: rebasedImageName(item.image, digest), imageDigest: digest, stack: { name: item.stack, build: item.target } };
      const result = await updateApp(item.app, change, `repave: stack ${item.stack} ${short(item.stackDiffId)} → ${short(item.target)}`);
      if (result.instances.length > 0 && !result.running) {
        throw new DropshipError('REPAVE_UNHEALTHY', `the instances of release ${result.release} did not all become healthy`, {
          hint: `see dropship logs ${item.app} --recent`,
        });
      }
      return { release: result.release };
    },
    async rollback(item: RepaveItem) {
      const result = await rollbackApp(item.app, item.release);
      return { release: result.release };
    },
  };
}
