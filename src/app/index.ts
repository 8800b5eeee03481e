// The app room: running images as supervised, health-checked, restarted, routed instances.
// Kept light for the CLI: the supervisor, containers, networks and got load only when used.
export {
  runApp,
  listApps,
  stopApp,
  startApp,
  restartApp,
  scaleApp,
  updateApp,
  deleteApp,
  recentLogs,
  followAppLogs,
  appEvents,
  type AppSummary,
  type StartResult,
} from './api.js';
export { runAppTask, type AppTaskOptions } from './app-task.js';
export { normalizeRunOptions, parsePort, DEFAULTS as RUN_DEFAULTS, type RunOptions } from './run-options.js';
export { instanceEnv, parseUserEnv, type InstanceEnvInput } from './env.js';
export { restartDelayMs, nextCrashCount, DEFAULT_RESTART_POLICY, type RestartPolicy } from './backoff.js';
export {
  monitorHealth,
  startupFailedMessage,
  systemClock,
  HEALTHY_MESSAGE,
  UNHEALTHY_MESSAGE,
  DEFAULT_HEALTH_TIMINGS,
  type Clock,
  type HealthCheckType,
  type HealthOutcome,
  type HealthTimings,
  type Probe,
} from './health.js';
export { formatLogEntry, logTag, appSource, LineSplitter, MAX_LINE_BYTES, type LogEntry } from './log-line.js';
export { LogWriter, readRecentLogs, followLogs, DEFAULT_LOG_ROTATION, type LogRotation } from './log-store.js';
export { Router, type Backend } from './router.js';
export { supervisorState, type SupervisorState } from './supervisor-process.js';
export { resolveImageUser, imageArgs, containerPortFor } from './image-user.js';
export {
  appPaths,
  APP_LABEL,
  INSTANCE_LABEL,
  readAppSpec,
  readInstanceStatus,
  validateAppName,
  type AppEvent,
  type AppPaths,
  type AppSpec,
  type InstanceState,
  type InstanceStatus,
} from './state.js';
export { parseManifest, readManifest, type Manifest, type ManifestApp, type ManifestProcess, type HealthCheckKind } from './manifest.js';
export { planPush, manifestPathFor, PUSH_DEFAULTS, type PushFlags, type PushPlan } from './push-options.js';
export {
  push,
  beginPush,
  endPush,
  stackPhase,
  stagePhase,
  imagePhase,
  startPhase,
  pushSummary,
  pushSucceeded,
  imageTag,
  type PushSeams,
  type PushSummary,
  type PushWork,
  type PushPhase,
  type ProcessSummary,
  type StackLayer,
} from './push.js';
export { realPushSeams } from './push-seams.js';
export { deployImage, type Deployed } from './push-deploy.js';
