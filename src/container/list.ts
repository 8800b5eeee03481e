import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleDir, containersDir, removeBundle } from './bundle.js';
import { leftoverCgroups, removeCgroups } from './cgroups.js';
import { LABEL_PREFIX, MANAGED_ANNOTATION } from './container.js';
import { CONTAINER_ID_PREFIX } from './options.js';
import { findConmon, monitorGone } from './monitor.js';
import { readRecord } from './record.js';
import { unmountRootfs } from './rootfs.js';
import { runtimeDelete, runtimeList, type RuntimeName } from './runtime.js';

export interface ContainerSummary {
  id: string;
  /** Runtime status (`running`, `stopped`, …), or `orphaned` when only the bundle is left. */
  status: string;
  runtime?: RuntimeName;
  pid?: number;
  bundle: string;
  labels: Record<string, string>;
}

function labelsOf(annotations: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(annotations)
      .filter(([key]) => key.startsWith(LABEL_PREFIX))
      .map(([key, value]) => [key.slice(LABEL_PREFIX.length), value]),
  );
}

async function bundleAnnotations(id: string): Promise<Record<string, string> | undefined> {
  const text = await readFile(join(bundleDir(id), 'config.json'), 'utf8').catch(() => undefined);
  return text ? ((JSON.parse(text) as { annotations?: Record<string, string> }).annotations ?? {}) : undefined;
}

/**
 * Containers dropship made: those the runtimes know (marked by annotation or id prefix) and
 * bundles left behind by a process that died before cleaning up.
 */
export async function listContainers(): Promise<ContainerSummary[]> {
  const found = new Map<string, ContainerSummary>();
  for (const runtime of ['runc', 'crun'] as const) {
    for (const state of await runtimeList(runtime)) {
      const mine = state.annotations?.[MANAGED_ANNOTATION] === 'true' || state.id.startsWith(CONTAINER_ID_PREFIX);
      if (!mine) continue;
      found.set(state.id, {
        id: state.id,
        status: state.status,
        runtime,
        pid: state.pid || undefined,
        bundle: state.bundle,
        labels: labelsOf(state.annotations),
      });
    }
  }
  const bundles = await readdir(containersDir()).catch(() => [] as string[]);
  for (const id of bundles) {
    if (found.has(id) || id.startsWith('.')) continue;
    found.set(id, { id, status: 'orphaned', bundle: bundleDir(id), labels: labelsOf(await bundleAnnotations(id)) });
  }
  return [...found.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Remove everything of one container, whatever state it was left in (for gc). A monitored
 * container's conmon exits once the init is killed; its exit file goes too, its log stays.
 */
export async function cleanupContainer(id: string): Promise<void> {
  const bundle = bundleDir(id);
  const [monitor, conmon] = await Promise.all([
    readRecord(bundle, id).then((o) => o?.monitor, () => undefined),
    findConmon(join(bundle, 'conmon.pid'), id),
  ]);
  for (const runtime of ['runc', 'crun'] as const) await runtimeDelete(runtime, id);
  await monitorGone(conmon);
  if (monitor) await rm(join(monitor.exitDir, id), { force: true });
  await unmountRootfs(bundle);
  await removeCgroups(id);
  await removeBundle(bundle);
}

/** What a container left behind: runtime state, a mounted rootfs, cgroups, its bundle. */
export async function containerLeftovers(id: string): Promise<string[]> {
  const left: string[] = [];
  for (const runtime of ['runc', 'crun'] as const) {
    if ((await runtimeList(runtime)).some((s) => s.id === id)) left.push(`${runtime} state`);
  }
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  if (mounts.includes(id)) left.push('mount');
  left.push(...(await leftoverCgroups(id)));
  const bundles = await readdir(containersDir()).catch(() => [] as string[]);
  if (bundles.includes(id)) left.push(bundleDir(id));
  return left;
}
