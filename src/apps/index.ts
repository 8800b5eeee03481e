// The apps room: desired state (what each app should run) and the app API that changes it and
// asks the store's daemon (the daemon room, another process) to converge. Kept light for the CLI: containers,
// networks and images load only in the calls that need them.
export {
  createApp,
  createNormalizedApp,
  discardApp,
  appSummary,
  listApps,
  stopApp,
  startApp,
  restartApp,
  scaleApp,
  updateApp,
  deleteApp,
  appEvents,
  type AppSummary,
  type ProcessSummary,
  type InstanceSummary,
  type StartResult,
  type WaitOptions,
} from './api.js';
export { runApp, type RunResult } from './run-request.js';
export { recordStart } from './start-events.js';
export { runAppTask, type AppTaskOptions } from './app-task.js';
export { listTasks, readTaskLog, type TaskRecord, type TaskState } from './task-records.js';
export { commitRelease, restoreRelease, listReleases, readRelease, referencedImageDigests, releaseRebasedImage, rebasedImageName, type Release } from './releases.js';
export { rollbackApp } from './rollback.js';
export { releaseStack, type StackMark } from './stack-marks.js';
export { sshInstance, type SshOptions } from './ssh.js';
export { appEnv, setAppEnv, unsetAppEnv, type EnvChange } from './app-env.js';
export {
  normalizeRunOptions,
  startWaitMs,
  parsePort,
  parseInstances,
  parseMemory,
  parseDisk,
  DEFAULTS as RUN_DEFAULTS,
  type ProcessOptions,
  type RunOptions,
  type NormalizedRunOptions,
} from './run-options.js';
export { instanceEnv, isPlatformEnvName, parseUserEnv, type InstanceEnvInput } from './env.js';
export {
  supervisorState,
  spawnSupervisor,
  ensureDaemon,
  callDaemon,
  askApp,
  pingDaemon,
  livingDaemonPid,
  daemonPaths,
  daemonEntry,
  codeIdentity,
  loaderArgs,
  type SupervisorState,
  type AppRequest,
  type DaemonRequest,
  type DaemonStatus,
  type DaemonPaths,
  type RunRequest,
} from './daemon-client.js';
export { serveControl, callControl, cancelledError, isCancelled, type ControlRequest, type RequestContext } from './control.js';
export { livenessIntervalFromEnv, LIVENESS_INTERVAL_ENV } from './liveness-env.js';
export { allocateHostPort, releaseAppHostPort, appPortOwner } from './host-port.js';
export {
  appPaths,
  appsRoot,
  ensureAppDir,
  APP_LABEL,
  PROCESS_LABEL,
  INSTANCE_LABEL,
  mainProcess,
  instanceProcess,
  processView,
  routedType,
  listAppNames,
  readAppSpec,
  requireAppSpec,
  readInstanceStatus,
  writeInstanceStatus,
  readSupervisorRecord,
  writeSupervisorRecord,
  recordEvent,
  readEvents,
  validateAppName,
  type AppEvent,
  type AppPaths,
  type AppSpec,
  type HealthCheck,
  type HealthCheckType,
  type ProcessSpec,
  type ProcessView,
  type InstanceState,
  type InstanceStatus,
  type ReleaseContent,
  type ReleaseStack,
  type SupervisorRecord,
} from './state.js';
