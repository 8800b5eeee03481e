import { readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import { cleanupContainer, listMonitoredContainers, type MonitoredSummary } from '../container/index.js';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { teardownNetwork } from '../network/index.js';
import { withLock } from '../util/lock.js';
import {
  APP_LABEL,
  INSTANCE_LABEL,
  PROCESS_LABEL,
  appPaths,
  codeIdentity,
  daemonPaths,
  listAppNames,
  livingDaemonPid,
  appSummary,
  createNormalizedApp,
  discardApp,
  recordStart,
  readAppSpec,
  readInstanceStatus,
  readSupervisorRecord,
  recordEvent,
  serveControl,
  type DaemonRequest,
  type DaemonStatus,
  type InstanceStatus,
  type RunRequest,
  type RunResult,
} from '../apps/index.js';
import { AppSupervision, forgetDataPath } from './app-supervision.js';
import { appSource } from './log-line.js';
import { LogTail } from './log-tail.js';
import { LogWriter } from './log-store.js';
import { adoptInstance } from './container-launcher.js';
import type { Adoption } from './instance-slot.js';
import { DIGEST_LABEL, RELEASE_LABEL } from './paths.js';

const DETACH_TIMEOUT_MS = 10_000;

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

/**
 * Claim the store for this daemon: under the daemon lock, a pid file naming a living daemon
 * means one runs already (this one leaves); anything else in it is a dead daemon's and is
 * replaced. So two daemons started at once (two CLIs, a CLI and systemd) leave exactly one.
 */
async function claimStore(): Promise<void> {
  const paths = daemonPaths();
  await withLock(paths.lock, async () => {
    const other = await livingDaemonPid(paths.pid);
    if (other !== undefined && other !== process.pid) {
      throw new DropshipError('DAEMON_RUNNING', `a dropship daemon already runs for ${homePaths().root} (pid ${other})`, {
        hint: '`dropship daemon status` shows it; `dropship daemon stop` stops it',
      });
    }
    await writeFile(paths.pid, `${process.pid}\n`, { mode: 0o644 });
  });
}

/** The monitored containers of apps, by app and instance index. */
async function scanInstances(): Promise<Map<string, MonitoredSummary[]>> {
  const byApp = new Map<string, MonitoredSummary[]>();
  for (const summary of await listMonitoredContainers()) {
    const app = summary.labels[APP_LABEL];
    if (summary.error) {
      log(`container ${summary.id}: ${summary.error.message}; removing it`);
      await teardownNetwork(summary.id).catch(() => undefined);
      await cleanupContainer(summary.id).catch(() => undefined);
      continue;
    }
    if (!app) continue;
    byApp.set(app, [...(byApp.get(app) ?? []), summary]);
  }
  return byApp;
}

/**
 * The process type a container runs: its label; a container started before process types had
 * none and ran the app's one process (the first of its spec read in the old layout).
 */
async function processTypeOf(app: string, summary: MonitoredSummary): Promise<string> {
  return summary.labels[PROCESS_LABEL] ?? (await readAppSpec(app).catch(() => undefined))?.processes[0]?.type ?? 'web';
}

/**
 * Remove a container an earlier daemon left that cannot be adopted; the lines it wrote after that
 * daemon's last read go to the app's log first, so nothing it said is lost.
 */
async function removeLeftover(app: string, summary: MonitoredSummary, index: number): Promise<void> {
  if (summary.logPath) {
    const logs = new LogWriter(appPaths(app).logs);
    const source = appSource(await processTypeOf(app, summary));
    const tail = new LogTail(
      summary.logPath,
      (line) => logs.append({ time: new Date(line.time).toISOString(), source, instance: index, stream: line.stream === 'stderr' ? 'err' : 'out', message: line.line, ...(line.cut ? { truncated: true } : {}) }),
      () => undefined,
    );
    await tail.start({ resume: true, follow: false });
    await tail.stop(true);
    await tail.remove();
    logs.close();
  }
  await teardownNetwork(summary.id).catch(() => undefined);
  await cleanupContainer(summary.id).catch(() => undefined);
}

/**
 * The instances an earlier daemon left of one app, as adoptions by process type and index. A
 * container with no runtime state (the host rebooted, or someone removed it) is cleaned up: its
 * index starts anew.
 */
async function adoptionsOf(app: string, found: MonitoredSummary[]): Promise<Map<string, Map<number, Adoption[]>>> {
  const prior = new Map((await readInstanceStatus(app).catch(() => [])).flatMap((s) => (s.containerId ? [[s.containerId, s] as const] : [])));
  const adopted = new Map<string, Map<number, Adoption[]>>();
  for (const summary of found) {
    const index = Number(summary.labels[INSTANCE_LABEL]);
    // `created`: a daemon killed between runc create and start left it; it never ran and never
    // will (its init waits for a start nobody sends, and no health check can pass), so it goes.
    const debris = summary.runtimeStatus === 'gone' || summary.runtimeStatus === 'created';
    const handle = debris || !Number.isInteger(index) ? undefined : await adoptInstance(summary.id, summary.labels).catch(() => undefined);
    if (!handle) {
      const why =
        summary.runtimeStatus === 'gone' ? 'has no runtime state (the host rebooted, or it was removed)'
        : summary.runtimeStatus === 'created' ? 'was created but never started (its daemon was killed in between)'
        : 'cannot be adopted';
      await recordEvent(app, { type: 'recover', message: `container ${summary.id} ${why}; its instance starts again`, instance: Number.isInteger(index) ? index : undefined }).catch(() => undefined);
      await removeLeftover(app, summary, Number.isInteger(index) ? index : 0);
      continue;
    }
    const type = await processTypeOf(app, summary);
    const ofType = adopted.get(type) ?? new Map<number, Adoption[]>();
    const release = Number(summary.labels[RELEASE_LABEL]);
    const started = { ...(Number.isInteger(release) && release > 0 ? { release } : {}), ...(summary.labels[DIGEST_LABEL] ? { imageDigest: summary.labels[DIGEST_LABEL] } : {}) };
    adopted.set(type, ofType.set(index, [...(ofType.get(index) ?? []), { handle, prior: prior.get(summary.id), started }]));
  }
  return adopted;
}

/**
 * The store's daemon: supervises every started app (health checks, restarts with back-off, logs,
 * the kernel data path), answers the CLI on a 0600 socket, and on start adopts the instances an
 * earlier daemon left running. Stopping it (`shutdown`, SIGTERM) leaves every instance running
 * and serving; `dropship stop APP` is what stops an app.
 */
export async function runDaemon(signal: AbortSignal): Promise<void> {
  const paths = daemonPaths();
  await claimStore();
  const startedAt = new Date().toISOString();
  const code = await codeIdentity();
  const apps = new Map<string, AppSupervision>();
  const failed = new Map<string, DropshipError>();
  const starting = new Map<string, Promise<AppSupervision>>();
  let server: Server | undefined;
  const shutdown = new AbortController();
  signal.addEventListener('abort', () => shutdown.abort(), { once: true });

  const begin = (name: string, adopted: Map<string, Map<number, Adoption[]>> = new Map()): Promise<AppSupervision> => {
    const running = apps.get(name);
    if (running) return Promise.resolve(running);
    let pending = starting.get(name);
    if (!pending) {
      pending = AppSupervision.begin(name, adopted).then(
        (supervision) => {
          apps.set(name, supervision);
          failed.delete(name);
          return supervision;
        },
        (error: DropshipError) => {
          failed.set(name, error);
          throw error;
        },
      ).finally(() => starting.delete(name));
      starting.set(name, pending);
    }
    return pending;
  };

  /** Apps being made by `run` requests: a stop of one waits for it to be made and started, then stops it. */
  const making = new Map<string, Promise<unknown>>();
  /** `run -d` in one request (apps/run-request.ts): make the app, supervise it, answer with the first verdict on every instance. */
  const run = async (request: RunRequest, hungUp: AbortSignal): Promise<RunResult> => {
    const name = request.options.name;
    const made = (async () => {
      const spec = await createNormalizedApp(request.options, request.reason);
      // The asker hung up (Ctrl-C) before its app ran: it stays made and stopped, as it is told.
      if (hungUp.aborted) return undefined;
      try {
        return { spec, supervision: await begin(name) };
      } catch (error) {
        await discardApp(name);
        throw error;
      }
    })();
    const entry = Promise.all([making.get(name), made.catch(() => undefined)]);
    making.set(name, entry);
    void entry.then(() => making.get(name) === entry && making.delete(name));
    const started = await made;
    if (!started) throw new DropshipError('CANCELLED', `the start of '${name}' was cancelled`, { hint: `\`dropship start ${name}\` starts it` });
    const { spec, supervision } = started;
    await recordStart(spec);
    const verdict = (await supervision.handle({ op: 'wait-running' })) as { running: boolean; instances: InstanceStatus[] };
    // The verdict's instances are the status `ps` would ask this daemon for.
    return { app: name, hostPort: spec.hostPort, ...verdict, summary: await appSummary(name, { pid: process.pid, instances: verdict.instances }) };
  };

  try {
    const found = await scanInstances();
    const names = await listAppNames();
    await Promise.all(
      names.map(async (name) => {
        const started = (await readSupervisorRecord(name).catch(() => undefined)) !== undefined;
        const leftover = found.get(name) ?? [];
        found.delete(name);
        if (!started) {
          for (const summary of leftover) await removeLeftover(name, summary, Number(summary.labels[INSTANCE_LABEL]) || 0);
          return;
        }
        const adopted = await adoptionsOf(name, leftover);
        const count = [...adopted.values()].flatMap((byIndex) => [...byIndex.values()]).reduce((n, list) => n + list.length, 0);
        try {
          await begin(name, adopted);
          log(`supervising ${name}${count ? ` (adopted ${count} running instance(s))` : ''}`);
        } catch (error) {
          log(`cannot supervise ${name}: ${(error as Error).message}`);
        }
      }),
    );
    // Containers of apps that no longer exist.
    for (const [app, leftover] of found) {
      if (await readAppSpec(app).catch(() => undefined)) continue;
      for (const summary of leftover) {
        log(`removing container ${summary.id} of deleted app ${app}`);
        await teardownNetwork(summary.id).catch(() => undefined);
        await cleanupContainer(summary.id).catch(() => undefined);
        if (summary.logPath) await Promise.all([rm(summary.logPath, { force: true }), rm(`${summary.logPath}.offset`, { force: true })]);
      }
    }

    const status = async (): Promise<DaemonStatus> => {
      const list = await Promise.all(
        [...apps.values()].map(async (a) => {
          const instances = a.snapshot();
          return { name: a.name, hostPort: a.hostPort, instances: instances.length, running: instances.filter((i) => i.state === 'running').length };
        }),
      );
      list.sort((a, b) => a.name.localeCompare(b.name));
      return { pid: process.pid, home: homePaths().root, startedAt, apps: list, instances: list.reduce((n, a) => n + a.instances, 0), rssBytes: process.memoryUsage.rss() };
    };

    server = await serveControl<DaemonRequest>(paths.socket, async (request, { hungUp }) => {
      switch (request.op) {
        case 'ping':
          return { pid: process.pid, code };
        case 'daemon-status':
          return status();
        case 'shutdown':
          setImmediate(() => shutdown.abort());
          return { pid: process.pid, stopping: true };
      }
      if (shutdown.signal.aborted) {
        throw new DropshipError('DAEMON_STOPPING', 'the dropship daemon is stopping', { hint: 'run the command again: it starts a new daemon' });
      }
      const name = request.app;
      if (request.op === 'run') return run(request, hungUp);
      if (request.op === 'start') return (await begin(name)).handle(request);
      if (request.op === 'stop' || request.op === 'forget') {
        await making.get(name);
        const supervision = apps.get(name) ?? (await starting.get(name)?.catch(() => undefined));
        if (supervision) {
          apps.delete(name);
          await supervision.stop();
        }
        failed.delete(name);
        if (request.op === 'forget') await forgetDataPath(name);
        return { stopped: true };
      }
      const supervision = apps.get(name) ?? (await starting.get(name));
      if (!supervision) {
        const error = failed.get(name);
        if (error) throw error;
        throw new DropshipError('APP_NOT_STARTED', `app '${name}' is not started`, { hint: `start it with \`dropship start ${name}\`` });
      }
      return supervision.handle(request);
    });
    log(`daemon ${process.pid} ready on ${paths.socket}: ${apps.size} app(s)`);
    await new Promise<void>((resolve) => {
      if (shutdown.signal.aborted) resolve();
      else shutdown.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    log('stopping: the instances keep running');
    // Bounded: the instances run on under conmon whatever is left undone here, and the next
    // daemon adopts them; a stop must not hang on, say, an instance still being created.
    let timer: NodeJS.Timeout | undefined;
    const detached = await Promise.race([
      Promise.all([...apps.values()].map((a) => a.detach())).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), DETACH_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (!detached) log(`stopping: gave up waiting for the apps after ${DETACH_TIMEOUT_MS / 1000}s; the next daemon adopts what runs`);
  } finally {
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    await rm(paths.socket, { force: true });
    // Only our own pid file: a daemon that lost the claim must not remove the winner's.
    if ((await readFile(paths.pid, 'utf8').catch(() => '')).trim() === String(process.pid)) await rm(paths.pid, { force: true });
  }
}
