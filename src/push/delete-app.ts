import { deleteApp } from '../apps/index.js';
import { listImages, removeImage } from '../oci/index.js';
import { removeStagingCache } from '../staging/index.js';
import { imageTag } from './push.js';

/**
 * `dropship delete APP`: the app (instances, network, logs, state, kept sources) through the apps
 * room, then what push made for it: its image tags (their blobs go with the next `gc`) and its
 * staging cache (V2 buildpack caches, CNB layers and SBOMs).
 */
export async function deletePushedApp(name: string): Promise<void> {
  await deleteApp(name);
  const repository = imageTag(name).split(':')[0];
  for (const image of await listImages()) if (image.name === repository) await removeImage(`${image.name}:${image.tag}`);
  await removeStagingCache(name);
}
