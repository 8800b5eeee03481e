import { cleanupContainer, listContainers } from '../container/index.js';
import { teardownNetwork } from '../network/index.js';

/**
 * Remove sandboxes whose owner is gone, by id: what a runtime's state, bundles and network still
 * hold of each, in the sandbox's order (network out first, then the container).
 */
export async function removeSandboxes(ids: Iterable<string>): Promise<void> {
  for (const id of ids) {
    await teardownNetwork(id).catch(() => undefined);
    await cleanupContainer(id);
  }
}

/**
 * Remove containers and their networks: those whose `label` is `value` (the runtime's state and
 * bundles left behind) and the `known` ids (from a last written status). Used when an owner died
 * without cleaning up, and by delete. Returns the ids removed.
 */
export async function removeLabelledContainers(label: string, value: string, known: Iterable<string> = []): Promise<string[]> {
  const ids = new Set<string>(known);
  for (const container of await listContainers()) if (container.labels[label] === value) ids.add(container.id);
  await removeSandboxes(ids);
  return [...ids];
}
