// The container room: hardened runtime specs, bundles, overlay rootfs and the runc/crun driver.
// Adoption, listing and log reading load on their first call: a task or a staging run needs none.
import type { MonitoredContainer } from './types.js';
import type { MonitoredSummary } from './adopt.js';
import type { ContainerSummary } from './list.js';
import type { LogLine } from './k8s-log.js';
export type { BindMount, Container, ContainerLimits, ContainerMonitor, ContainerOptions, ContainerUser, ExecOptions, ExitInfo, MonitoredContainer } from './types.js';
export { createContainer, containerApparmor, MANAGED_ANNOTATION, LABEL_PREFIX } from './container.js';
export type { MonitoredSummary } from './adopt.js';
export { parseLogRecord, LogLineJoiner, type LogLine, type LogRecord } from './k8s-log.js';
export { parseExitStatus } from './exit-file.js';
export type { ContainerSummary } from './list.js';
export { installCleanupHandlers, destroyLiveContainers, onInterrupt } from './live.js';
export { normalizeContainerOptions, newContainerId, resolveUser, CONTAINER_ID_PREFIX, DEFAULT_LOG_SIZE_MAX, DEFAULT_PIDS_LIMIT, DEFAULT_NOFILE, type NormalizedContainerOptions } from './options.js';
export { buildSpec, cpuSharesForMemory, OCI_VERSION, type OciSpec, type SpecOptions } from './spec/index.js';
export { runtimeCall, runtimeState, runtimeList, runtimeKill, runtimeDelete, runtimeCreate, runtimeStart, runtimeStats, runtimeCommand, type RuntimeName, type RuntimeState } from './runtime.js';
export { createQuotaDisk, mountQuotaDisk, unmount, isMounted } from './quota-disk.js';
export { TINI_STATIC } from './init.js';
export { quotaDiskUsedBytes } from './rootfs.js';

/** A handle on a monitored container another process started (see adopt.ts). */
export async function adoptContainer(id: string): Promise<MonitoredContainer | undefined> {
  return (await import('./adopt.js')).adoptContainer(id);
}

/** The monitored containers of this store, for a daemon's start-up scan. */
export async function listMonitoredContainers(): Promise<MonitoredSummary[]> {
  return (await import('./adopt.js')).listMonitoredContainers();
}

/** The app's lines from a monitored container's log file, streamed (see log-file.ts). */
export async function* readLog(path: string, maxLine?: number): AsyncGenerator<LogLine> {
  yield* (await import('./log-file.js')).readLog(path, maxLine);
}

/** Containers dropship made, running or left behind. */
export async function listContainers(): Promise<ContainerSummary[]> {
  return (await import('./list.js')).listContainers();
}

/** Remove everything of one container, whatever state it was left in (for gc). */
export async function cleanupContainer(id: string): Promise<void> {
  return (await import('./list.js')).cleanupContainer(id);
}

/** What a container left behind: runtime state, a mounted rootfs, cgroups, its bundle. */
export async function containerLeftovers(id: string): Promise<string[]> {
  return (await import('./list.js')).containerLeftovers(id);
}
