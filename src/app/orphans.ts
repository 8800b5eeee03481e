import { cleanupContainer, listContainers } from '../container/index.js';
import { teardownNetwork } from '../network/index.js';
import { APP_LABEL, readInstanceStatus } from './state.js';

/**
 * Remove every container of the app and its network: those labelled with the app's name (the
 * runtime's state and bundles left behind) and those the last status names. Used when a
 * supervisor died without cleaning up, and by delete. Returns the ids removed.
 */
export async function cleanupAppContainers(name: string): Promise<string[]> {
  const ids = new Set<string>();
  for (const container of await listContainers()) if (container.labels[APP_LABEL] === name) ids.add(container.id);
  for (const instance of await readInstanceStatus(name).catch(() => [])) if (instance.containerId) ids.add(instance.containerId);
  for (const id of ids) {
    await teardownNetwork(id).catch(() => undefined);
    await cleanupContainer(id);
  }
  return [...ids];
}
