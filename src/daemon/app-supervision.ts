import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { containerApparmor } from '../container/index.js';
import { DropshipError } from '../errors.js';
import { releaseHostPort, removeDataPath, reserveHostPort, setBackends } from '../network/index.js';
import {
  appPaths,
  appPortOwner,
  livenessIntervalFromEnv,
  recordEvent,
  requireAppSpec,
  writeInstanceStatus,
  writeSupervisorRecord,
  type AppRequest,
  type InstanceStatus,
} from '../apps/index.js';
import { AppBackends } from './backends.js';
import { containerLauncher } from './container-launcher.js';
import type { HealthTimings } from './health.js';
import type { Adoption } from './instance-slot.js';
import { LogWriter } from './log-store.js';
import { Supervisor } from './supervisor.js';

/** The data path's owner is the host port's: the port table and the DNAT chain go by one name. */
const dataPathOwner = appPortOwner;

/** Remove what an app held in the network room once it is deleted: its rules and its host port. */
export async function forgetDataPath(app: string): Promise<void> {
  await removeDataPath(dataPathOwner(app));
  await releaseHostPort(dataPathOwner(app));
}

/**
 * One app under the daemon: its supervisor (instances, health, restarts), its log store, its
 * data path (the host port's DNAT to the healthy instances) and its status file. The app is
 * "started" while the daemon's record is in the app dir: a daemon that comes back after a crash
 * or a reboot supervises exactly the apps that have one.
 */
export class AppSupervision {
  private latest: InstanceStatus[] = [];
  private statusTimer?: NodeJS.Timeout;
  private stopping = false;
  private placeholder?: Server;

  private constructor(
    readonly name: string,
    readonly supervisor: Supervisor,
    private readonly backends: AppBackends,
    private readonly logs: LogWriter,
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

  static async begin(name: string, adopted: Map<number, Adoption[]>, options: { healthTimings?: Partial<HealthTimings> } = {}): Promise<AppSupervision> {
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
      { set: (list) => setBackends(owner, spec.hostPort, list), remove: () => removeDataPath(owner) },
      (error) => event('data-path', `updating the data path of host port ${spec.hostPort} failed: ${error.message}`),
    );
    let self: AppSupervision | undefined;
    const supervisor = new Supervisor(spec, {
      makeLauncher: (s) => containerLauncher(s),
      backends,
      log: (entry) => logs.append(entry),
      event,
      changed: (status) => self?.persist(status),
      healthTimings,
    });
    self = new AppSupervision(name, supervisor, backends, logs);
    await self.holdPort(spec.hostPort, event);
    const apparmor = await containerApparmor();
    event(
      'hardening',
      apparmor.enforced
        ? `AppArmor profile ${apparmor.profile} enforced`
        : `AppArmor not enforced (${apparmor.reason}); seccomp, capabilities, user namespace and masked paths still apply`,
    );
    await writeSupervisorRecord(name, { pid: process.pid, startedAt: new Date().toISOString() });
    await supervisor.start(adopted);
    return self;
  }

  private persist(status: InstanceStatus[]): void {
    this.latest = status;
    this.statusTimer ??= setTimeout(() => {
      this.statusTimer = undefined;
      void writeInstanceStatus(this.name, this.latest).catch(() => undefined);
    }, 50);
  }

  async handle(request: AppRequest): Promise<unknown> {
    if (this.stopping && request.op !== 'status' && request.op !== 'stop') {
      throw new DropshipError('APP_STOPPING', `app '${this.name}' is stopping`, { hint: `start it again with \`dropship start ${this.name}\`` });
    }
    const supervisor = this.supervisor;
    switch (request.op) {
      case 'start':
      case 'status':
        return { pid: process.pid, hostPort: supervisor.appSpec.hostPort, release: supervisor.appSpec.release, instances: await supervisor.status() };
      case 'wait-running':
        return { running: await supervisor.waitUntilRunning(), instances: await supervisor.status() };
      // The desired state is the current release on disk; the host port is the app's for life.
      case 'reload':
        await supervisor.update({ ...(await requireAppSpec(this.name)), hostPort: supervisor.appSpec.hostPort });
        return { instances: await supervisor.status() };
      case 'cancel':
        await supervisor.cancel({ ...(await requireAppSpec(this.name)), hostPort: supervisor.appSpec.hostPort });
        return { instances: await supervisor.status() };
      case 'restart':
        await supervisor.restart({ rolling: request.rolling }, { ...(await requireAppSpec(this.name)), hostPort: supervisor.appSpec.hostPort });
        return { instances: await supervisor.status() };
      default:
        throw new DropshipError('UNKNOWN_REQUEST', `unknown request ${JSON.stringify(request)} for app '${this.name}'`, {
          hint: 'the dropship that sent it differs from the one running the daemon; `dropship daemon stop` then any command starts a current one',
        });
    }
  }

  /** `dropship stop APP`: every instance stops, the data path goes, the app is no longer started. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.supervisor.stopAll();
    await this.backends.close();
    await rm(appPaths(this.name).supervisor, { force: true });
    await this.flush();
  }

  /** The daemon stops: instances and the data path stay as they are, for the next daemon. */
  async detach(): Promise<void> {
    this.stopping = true;
    await this.supervisor.detachAll();
    await this.backends.detach();
    await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.placeholder) await new Promise((resolve) => this.placeholder!.close(resolve));
    this.placeholder = undefined;
    clearTimeout(this.statusTimer);
    this.statusTimer = undefined;
    await writeInstanceStatus(this.name, this.supervisor.snapshot()).catch(() => undefined);
    this.logs.close();
  }
}
