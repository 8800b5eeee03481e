// The daemon room: one process per store that supervises every app's instances (health checks,
// restarts with back-off, logs from conmon's files, the kernel data path) and adopts them when
// it starts again. Its entry is daemon-main.ts, started by the apps room as a process of its
// own. The face stays light for `logs`: containers and networks load only in the daemon and in
// a foreground run.
export { runAppInForeground } from './foreground.js';
export { recentLogs, followAppLogs } from './logs.js';
export { watchStart, explainStartFailure, startFailure, feedbackLine, type StartWatch, type StartFailure } from './start-watch.js';
export { daemonUnit, type UnitOptions } from './unit.js';
export { restartDelayMs, nextCrashCount, DEFAULT_RESTART_POLICY, type RestartPolicy } from './backoff.js';
export {
  monitorHealth,
  startupFailedMessage,
  systemClock,
  HEALTHY_MESSAGE,
  UNHEALTHY_MESSAGE,
  DEFAULT_HEALTH_TIMINGS,
  type Clock,
  type HealthOutcome,
  type HealthTimings,
  type Probe,
} from './health.js';
export { formatLogEntry, logTag, appSource, LineSplitter, MAX_LINE_BYTES, type LogEntry } from './log-line.js';
export { LogWriter, readRecentLogs, followLogs, DEFAULT_LOG_ROTATION, type LogRotation } from './log-store.js';
export { AppBackends, DRAIN_MS, type DataPathWriter } from './backends.js';
