// The container room: hardened runtime specs, bundles, overlay rootfs and the runc/crun driver.
export type { BindMount, Container, ContainerLimits, ContainerMonitor, ContainerOptions, ContainerUser, ExecOptions, ExitInfo, MonitoredContainer } from './types.js';
export { createContainer, containerApparmor, MANAGED_ANNOTATION, LABEL_PREFIX } from './container.js';
export { adoptContainer, listMonitoredContainers, type MonitoredSummary } from './adopt.js';
export { readLog } from './log-file.js';
export { parseLogRecord, LogLineJoiner, type LogLine, type LogRecord } from './k8s-log.js';
export { parseExitStatus } from './exit-file.js';
export { listContainers, cleanupContainer, containerLeftovers, type ContainerSummary } from './list.js';
export { installCleanupHandlers, destroyLiveContainers, onInterrupt } from './live.js';
export { normalizeContainerOptions, newContainerId, resolveUser, CONTAINER_ID_PREFIX, DEFAULT_LOG_SIZE_MAX, DEFAULT_PIDS_LIMIT, DEFAULT_NOFILE, type NormalizedContainerOptions } from './options.js';
export { buildSpec, cpuSharesForMemory, OCI_VERSION, type OciSpec, type SpecOptions } from './spec/index.js';
export { runtimeCall, runtimeState, runtimeList, runtimeKill, runtimeDelete, runtimeCreate, runtimeStart, runtimeStats, runtimeCommand, type RuntimeName, type RuntimeState } from './runtime.js';
export { createQuotaDisk, mountQuotaDisk, unmount, isMounted } from './quota-disk.js';
export { TINI_STATIC } from './init.js';
export { quotaDiskUsedBytes } from './rootfs.js';
