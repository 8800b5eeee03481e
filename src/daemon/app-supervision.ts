import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { containerApparmor } from '../container/index.js';
import { DropshipError } from '../errors.js';
import { releaseHostPort, removeDataPath, reserveHostPort, setManyBackends } from '../network/index.js';
import {
  appPaths,
  appPortOwner,
  livenessIntervalFromEnv,
  processView,
  recordEvent,
  requireAppSpec,
  routedType,
  writeInstanceStatus,
  writeSupervisorRecord,
  type AppRequest,
  type AppSpec,
  type InstanceStatus,
  type ProcessView,
} from '../apps/index.js';
import { AppBackends } from './backends.js';
import { DataPathBatch } from './data-path-batch.js';
import { containerLauncher } from './container-launcher.js';
import type { HealthTimings } from './health.js';
import type { Adoption } from './instance-slot.js';
import { LogWriter } from './log-store.js';
import { Supervisor, type SupervisorDeps } from './supervisor.js';

/** The data path's owner is the host port's: the port table and the DNAT chain go by one name. */
const dataPathOwner = appPortOwner;

/** Remove what an app held in the network room once it is deleted: its rules and its host port. */
export async function forgetDataPath(app: string): Promise<void> {
  await removeDataPath(dataPathOwner(app));
  await releaseHostPort(dataPathOwner(app));
}

/** Every app's data path writes, batched: many apps roll at once in a repave. */
const dataPaths = new DataPathBatch(setManyBackends);

/** The healthy set of a process no host port forwards to (a worker): kept, written nowhere. */
const unrouted = { set: async () => undefined, remove: async () => undefined };

/**
 * One app under the daemon: a supervisor per process type (instances, health, restarts), its
 * log store, its data path (the host port's DNAT to the healthy instances of the routed process,
 * web) and its status file. The app is "started" while the daemon's record is in the app dir: a
 * daemon that comes back after a crash or a reboot supervises exactly the apps that have one.
 */
export class AppSupervision {
  private readonly supervisors = new Map<string, Supervisor>();
  private readonly latest = new Map<string, InstanceStatus[]>();
  private statusTimer?: NodeJS.Timeout;
  private stopping = false;
  private placeholder?: Server;
  private busy: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly name: string,
    readonly hostPort: number,
    /** The data path of the routed process; other processes get an unrouted set of their own. */
    private readonly backends: AppBackends,
    private readonly logs: LogWriter,
    private readonly deps: Omit<SupervisorDeps, 'backends' | 'changed'>,
  ) {}

  /**
   * Bind the host port while the daemon runs, and never accept on it: the kernel's DNAT takes
   * every connection before a local socket could, so this only keeps other programs (a process
   * of another store, a dev server) from binding a port whose traffic they would never see.
   */
  private async holdPort(port: number, event: (type: string, message: string) => void): Promise<void> {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        event('host-port', `host port ${port} is bound by another program (${error.code}); the data path still forwards it to this app`);
        resolve();
      });
      server.listen({ port, host: '0.0.0.0', exclusive: true, backlog: 1 }, () => {
        this.placeholder = server;
        resolve();
      });
    });
  }

  /**
   * Supervise the app, taking over the instances an earlier daemon left (`adopted`, by process
   * type and index). Adopted instances of a process type the current release no longer has stop.
   */
  static async begin(name: string, adopted: Map<string, Map<number, Adoption[]>>, options: { healthTimings?: Partial<HealthTimings> } = {}): Promise<AppSupervision> {
    const spec = await requireAppSpec(name);
    const paths = appPaths(name);
    const owner = dataPathOwner(name);
    // The app's host port, held for it in the network room's one table; a no-op when it holds it.
    await reserveHostPort(owner, spec.hostPort);
    const livenessIntervalMs = livenessIntervalFromEnv();
    const healthTimings = livenessIntervalMs === undefined ? options.healthTimings : { livenessIntervalMs, ...options.healthTimings };
    const event = (type: string, message: string, instance?: number) => void recordEvent(name, { type, message, instance }).catch(() => undefined);
    const logs = new LogWriter(paths.logs);
    const backends = new AppBackends(
      { set: (backends) => dataPaths.set({ owner, hostPort: spec.hostPort, backends }), remove: () => removeDataPath(owner) },
      (error) => event('data-path', `updating the data path of host port ${spec.hostPort} failed: ${error.message}`),
    );
    const self = new AppSupervision(name, spec.hostPort, backends, logs, {
      makeLauncher: (s) => containerLauncher(s),
      log: (entry) => logs.append(entry),
      event,
      healthTimings,
    });
    await self.holdPort(spec.hostPort, event);
    const apparmor = await containerApparmor();
    event(
      'hardening',
      apparmor.enforced
        ? `AppArmor profile ${apparmor.profile} enforced`
        : `AppArmor not enforced (${apparmor.reason}); seccomp, capabilities, user namespace and masked paths still apply`,
    );
    await writeSupervisorRecord(name, { pid: process.pid, startedAt: new Date().toISOString() });
    for (const process of spec.processes) await self.supervise(processView(spec, process.type)).start(adopted.get(process.type));
    await self.stopOrphans(spec, adopted);
    return self;
  }

  private supervise(view: ProcessView): Supervisor {
    const type = view.processType;
    const supervisor = new Supervisor(view, {
      ...this.deps,
      backends: view.routed ? this.backends : new AppBackends(unrouted, () => undefined),
      changed: (status) => this.persist(type, status),
    });
    this.supervisors.set(type, supervisor);
    return supervisor;
  }

  /**
   * Adopted instances of a process type the current release does not have (it was removed while
   * no daemon ran): a supervisor of none of them stops each the usual way (drained, SIGTERM).
   */
  private async stopOrphans(spec: AppSpec, adopted: Map<string, Map<number, Adoption[]>>): Promise<void> {
    const routed = routedType(spec) ?? spec.processes[0]!.type;
    for (const [type, adoptions] of adopted) {
      if (this.supervisors.has(type)) continue;
      const view: ProcessView = { ...processView(spec, routed), processType: type, routed: false, instances: 0 };
      const orphans = new Supervisor(view, { ...this.deps, backends: new AppBackends(unrouted, () => undefined), changed: () => undefined });
      await orphans.start(adoptions);
      this.deps.event('process-removed', `process type ${type} is not in release ${spec.release}: its adopted instances stop`);
    }
  }

  /** Requests that change the set of process types run one after another. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.busy.then(fn, fn);
    this.busy = next.catch(() => undefined);
    return next;
  }

  private persist(type: string, status: InstanceStatus[]): void {
    this.latest.set(type, status);
    this.statusTimer ??= setTimeout(() => {
      this.statusTimer = undefined;
      void writeInstanceStatus(this.name, [...this.latest.values()].flat()).catch(() => undefined);
    }, 50);
  }

  /** Every instance of every process type, as last seen. */
  snapshot(): InstanceStatus[] {
    return [...this.supervisors.values()].flatMap((s) => s.snapshot());
  }

  private async status(): Promise<InstanceStatus[]> {
    return (await Promise.all([...this.supervisors.values()].map((s) => s.status()))).flat();
  }

  /**
   * Converge onto the current release on disk (the host port is the app's for life): each process
   * type it has is updated or started, web first; one it no longer has stops.
   */
  private converge(apply: (supervisor: Supervisor, view: ProcessView) => Promise<void>): Promise<void> {
    return this.serial(async () => {
      const spec = { ...(await requireAppSpec(this.name)), hostPort: this.hostPort };
      for (const process of spec.processes) {
        const view = processView(spec, process.type);
        const supervisor = this.supervisors.get(process.type);
        if (supervisor) await apply(supervisor, view);
        else await this.supervise(view).start();
      }
      for (const [type, supervisor] of this.supervisors) {
        if (spec.processes.some((p) => p.type === type)) continue;
        this.supervisors.delete(type);
        this.latest.delete(type);
        await supervisor.stopAll();
      }
    });
  }

  async handle(request: AppRequest): Promise<unknown> {
    if (this.stopping && request.op !== 'status' && request.op !== 'stop') {
      throw new DropshipError('APP_STOPPING', `app '${this.name}' is stopping`, { hint: `start it again with \`dropship start ${this.name}\`` });
    }
    const supervisors = () => [...this.supervisors.values()];
    switch (request.op) {
      case 'start':
      case 'status':
        return { pid: process.pid, hostPort: this.hostPort, release: supervisors()[0]?.view.release, instances: await this.status() };
      case 'wait-running': {
        const running = await Promise.all(supervisors().map((s) => s.waitUntilRunning()));
        return { running: running.every(Boolean), instances: await this.status() };
      }
      case 'reload':
        await this.converge((supervisor, view) => supervisor.update(view));
        return { instances: await this.status() };
      case 'cancel':
        // At once, not in turn: the reload being cancelled holds the turn while it waits for its roll.
        for (const supervisor of supervisors()) supervisor.abortRoll();
        await this.converge((supervisor, view) => supervisor.cancel(view));
        return { instances: await this.status() };
      case 'restart':
        await this.converge((supervisor, view) => supervisor.restart({ rolling: request.rolling }, view));
        return { instances: await this.status() };
      default:
        throw new DropshipError('UNKNOWN_REQUEST', `unknown request ${JSON.stringify(request)} for app '${this.name}'`, {
          hint: 'the dropship that sent it differs from the one running the daemon; `dropship daemon stop` then any command starts a current one',
        });
    }
  }

  /** `dropship stop APP`: every instance stops, the data path goes, the app is no longer started. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.supervisors.values()].map((s) => s.stopAll()));
    await this.backends.close();
    await rm(appPaths(this.name).supervisor, { force: true });
    await this.flush();
  }

  /** The daemon stops: instances and the data path stay as they are, for the next daemon. */
  async detach(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.supervisors.values()].map((s) => s.detachAll()));
    await this.backends.detach();
    await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.placeholder) await new Promise((resolve) => this.placeholder!.close(resolve));
    this.placeholder = undefined;
    clearTimeout(this.statusTimer);
    this.statusTimer = undefined;
    await writeInstanceStatus(this.name, this.snapshot()).catch(() => undefined);
    this.logs.close();
  }
}
