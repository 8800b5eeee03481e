import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Server } from 'node:net';
import { containerApparmor } from '../container/index.js';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { processAlive, withLock } from '../util/lock.js';
import { serveControl, type ControlRequest } from '../apps/index.js';
import { containerLauncher } from './container-launcher.js';
import type { LogEntry } from './log-line.js';
import { LogWriter } from './log-store.js';
import { Router } from './router.js';
import {
  appPaths,
  readSupervisorRecord,
  recordEvent,
  requireAppSpec,
  writeInstanceStatus,
  writeSupervisorRecord,
  type InstanceStatus,
} from '../apps/index.js';
import { Supervisor } from './supervisor.js';
import type { HealthTimings } from './health.js';
import { livenessIntervalFromEnv } from '../apps/index.js';

export interface SuperviseOptions {
  /** Aborting stops every instance and ends supervision. */
  signal: AbortSignal;
  /** Every log line, as it is stored (the foreground `run` prints them). */
  onLog?: (entry: LogEntry) => void;
  /** Called once the control socket listens and the instances are being started. */
  onReady?: (supervisor: Supervisor) => void;
  healthTimings?: Partial<HealthTimings>;
}

/**
 * Supervise one app until told to stop: the router on the host port, the instances, the log
 * store and the control socket. One supervisor per app; its pid is recorded so that others
 * can tell a live supervisor from a dead one.
 */
export async function superviseApp(name: string, options: SuperviseOptions): Promise<void> {
  const paths = appPaths(name);
  const spec = await requireAppSpec(name);
  const livenessIntervalMs = livenessIntervalFromEnv();
  const healthTimings = livenessIntervalMs === undefined ? options.healthTimings : { livenessIntervalMs, ...options.healthTimings };
  // Two `start`s at once must not give the app two supervisors: check and claim under a lock.
  await withLock(join(homePaths().locks, `app-${name}.lock`), async () => {
    const existing = await readSupervisorRecord(name);
    if (existing && existing.pid !== process.pid && processAlive(existing.pid)) {
      throw new DropshipError('SUPERVISOR_RUNNING', `app '${name}' already has a supervisor (pid ${existing.pid})`, {
        hint: `stop it first with \`dropship stop ${name}\``,
      });
    }
    await writeSupervisorRecord(name, { pid: process.pid, startedAt: new Date().toISOString() });
  });
  const logs = new LogWriter(paths.logs);
  const router = new Router(spec.hostPort);
  let server: Server | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  let latest: InstanceStatus[] = [];
  const persistStatus = () => {
    statusTimer ??= setTimeout(() => {
      statusTimer = undefined;
      void writeInstanceStatus(name, latest).catch(() => undefined);
    }, 50);
  };
  const stopRequested = new AbortController();
  const onAbort = () => stopRequested.abort();
  options.signal.addEventListener('abort', onAbort, { once: true });
  if (options.signal.aborted) stopRequested.abort();
  try {
    await router.listen();
    // The one place a user of `run` learns whether the AppArmor profile confines the instances.
    const apparmor = await containerApparmor();
    await recordEvent(name, {
      type: 'hardening',
      message: apparmor.enforced
        ? `AppArmor profile ${apparmor.profile} enforced`
        : `AppArmor not enforced (${apparmor.reason}); seccomp, capabilities, user namespace and masked paths still apply`,
    });
    const supervisor = new Supervisor(spec, {
      makeLauncher: (s) => containerLauncher(s),
      router,
      log: (entry) => {
        logs.append(entry);
        options.onLog?.(entry);
      },
      event: (type, message, instance) => void recordEvent(name, { type, message, instance }).catch(() => undefined),
      changed: (status) => {
        latest = status;
        persistStatus();
      },
      healthTimings,
    });
    let markStarted!: () => void;
    const starting = new Promise<void>((resolve) => (markStarted = resolve));
    const stopped = new Promise<void>((resolve) => {
      const finish = () => void supervisor.stopAll().then(resolve, resolve);
      if (stopRequested.signal.aborted) finish();
      else stopRequested.signal.addEventListener('abort', finish, { once: true });
    });
    const refuseWhenStopping = () => {
      if (stopRequested.signal.aborted) {
        throw new DropshipError('APP_STOPPING', `app '${name}' is stopping`, { hint: `start it again with \`dropship start ${name}\`` });
      }
    };
    server = await serveControl(paths.socket, async (request: ControlRequest) => {
      if (request.op === 'reload' || request.op === 'restart') refuseWhenStopping();
      switch (request.op) {
        case 'status':
          return { pid: process.pid, hostPort: spec.hostPort, release: supervisor.appSpec.release, instances: await supervisor.status() };
        case 'wait-running':
          await starting;
          return { running: await supervisor.waitUntilRunning(), instances: await supervisor.status() };
        // The desired state is the current release on disk; the router's host port is the app's for life.
        case 'reload':
          await supervisor.update({ ...(await requireAppSpec(name)), hostPort: spec.hostPort });
          return { instances: await supervisor.status() };
        case 'restart':
          await supervisor.restart({ rolling: request.rolling }, { ...(await requireAppSpec(name)), hostPort: spec.hostPort });
          return { instances: await supervisor.status() };
        case 'stop':
          stopRequested.abort();
          await stopped;
          return { stopped: true };
        default:
          throw new DropshipError('UNKNOWN_REQUEST', `unknown supervisor request ${JSON.stringify(request)}`, {
            hint: 'the dropship that sent it differs from the one running the supervisor; `dropship restart APP` starts a current supervisor',
          });
      }
    });
    await supervisor.start().finally(markStarted);
    options.onReady?.(supervisor);
    await stopped;
    // A stop that came before start() had added the instances stopped none of them.
    await supervisor.stopAll();
    latest = supervisor.snapshot();
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    clearTimeout(statusTimer);
    await writeInstanceStatus(name, latest).catch(() => undefined);
    await router.close();
    // Give the `stop` caller its answer before the socket goes away.
    await new Promise((r) => setTimeout(r, 50));
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    await rm(paths.socket, { force: true });
    await rm(paths.supervisor, { force: true });
    logs.close();
  }
}
