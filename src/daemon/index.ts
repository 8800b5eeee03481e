// The daemon room: supervision of apps' instances (health checks, restarts with back-off, logs,
// the router in front of them). The background supervisor's entry is supervisor-main.ts, which
// the apps room starts as a process of its own. The face stays light for `logs`: containers
// and networks load only when a foreground run starts supervising.
export { runAppInForeground } from './foreground.js';
export { recentLogs, followAppLogs } from './logs.js';
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
export { Router, type Backend } from './router.js';
