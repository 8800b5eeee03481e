import { randomUUID } from 'node:crypto';
import type { ExitInfo } from '../container/types.js';
import { nextCrashCount, restartDelayMs, type RestartPolicy } from './backoff.js';
import { monitorHealth, HEALTHY_MESSAGE, type Clock, type HealthTimings } from './health.js';
import type { InstanceHandle, InstanceLauncher } from './instance-launcher.js';
import { appSource, LineSplitter, type LogEntry } from './log-line.js';
import { probeFor } from './probes.js';
import type { Router } from './router.js';
import type { AppSpec, InstanceState, InstanceStatus } from '../apps/index.js';

/** What a slot shares with its supervisor. */
export interface SlotContext {
  spec: () => AppSpec;
  router: Router;
  clock: Clock;
  policy: RestartPolicy;
  timings: Partial<HealthTimings>;
  log: (entry: LogEntry) => void;
  event: (type: string, message: string, instance?: number) => void;
  changed: () => void;
}

export function exitText(info: ExitInfo): string {
  return `Exit status ${info.exitCode}${info.oomKilled ? ' (out of memory)' : ''}`;
}

/**
 * One instance index over its whole life: start a container, check its health, put it in the
 * router once healthy, and restart it with back-off when it crashes, until told to stop.
 */
export class InstanceSlot {
  readonly status: InstanceStatus;
  private stopRequested = false;
  private readonly stopController = new AbortController();
  private handle?: InstanceHandle;
  private exit?: Promise<ExitInfo>;
  private terminating?: Promise<void>;
  private done: Promise<void> = Promise.resolve();
  private readonly watchers = new Set<() => void>();

  constructor(
    readonly index: number,
    readonly launcher: InstanceLauncher,
    private readonly ctx: SlotContext,
  ) {
    this.status = {
      index,
      guid: randomUUID(),
      state: 'down',
      restarts: 0,
      crashCount: 0,
      since: new Date().toISOString(),
      imageDigest: launcher.imageDigest,
    };
  }

  run(): void {
    this.done = this.loop().catch((error: Error) => {
      this.cell('err', `Supervisor error: ${error.message}`);
      this.setState('crashed');
    });
  }

  /** True once healthy, false if the instance crashed or stopped before it ever was. */
  waitUntilRunning(): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.status.state === 'running') return finish(true);
        if (this.status.crashCount > 0 || this.status.state === 'down' || this.stopRequested) finish(false);
      };
      const finish = (value: boolean) => {
        this.watchers.delete(check);
        resolve(value);
      };
      this.watchers.add(check);
      check();
    });
  }

  async memoryBytes(): Promise<number | undefined> {
    return this.handle?.memoryBytes().catch(() => undefined);
  }

  /** Out of the router first, then SIGTERM, then SIGKILL after the stop timeout. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.stopController.abort();
    if (this.handle) await this.terminate(this.handle);
    await this.done;
  }

  private terminate(handle: InstanceHandle): Promise<void> {
    this.terminating ??= (async () => {
      const timeoutMs = this.ctx.spec().stopTimeoutMs;
      this.setState('stopping');
      await this.ctx.router.remove(this.status.guid, Math.min(timeoutMs, 10_000));
      this.cell('out', `Stopping instance ${this.status.guid}`);
      await handle.kill('SIGTERM').catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const exited = await Promise.race([
        this.exit!.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (!exited) {
        this.cell('out', `Instance did not stop within ${timeoutMs / 1000}s of SIGTERM; sending SIGKILL`);
        await handle.kill('SIGKILL').catch(() => undefined);
      }
    })();
    return this.terminating;
  }

  private async loop(): Promise<void> {
    let gaveUp = false;
    while (!this.stopRequested) {
      const crash = await this.runOnce();
      if (!crash) break;
      if (!(await this.afterCrash(crash.reason, crash.ranForMs))) {
        gaveUp = !this.stopRequested;
        break;
      }
    }
    this.status.containerId = undefined;
    this.status.ip = undefined;
    this.setState(gaveUp ? 'crashed' : 'down');
  }

  /** One container from start to exit: why it crashed, or undefined when it was stopped. */
  private async runOnce(): Promise<{ reason: string; ranForMs: number } | undefined> {
    this.setState('starting');
    const spec = this.ctx.spec();
    const output = this.outputSink();
    let handle: InstanceHandle;
    try {
      handle = await this.launcher.start({ index: this.index, guid: this.status.guid, onOutput: output.push });
    } catch (error) {
      const reason = `Failed to create container: ${(error as Error).message}`;
      this.cell('err', reason);
      return { reason, ranForMs: 0 };
    }
    this.handle = handle;
    this.exit = handle.wait();
    this.terminating = undefined;
    this.status.containerId = handle.containerId;
    this.status.ip = handle.ip;
    this.ctx.event('instance-start', `instance ${this.index} started in container ${handle.containerId}`, this.index);
    this.ctx.changed();
    if (this.stopRequested) void this.terminate(handle);
    const startedAt = this.ctx.clock.now();
    const healthFailure = await this.checkHealthUntilExit(handle, spec);
    const info = await this.exit;
    output.flush();
    await this.ctx.router.remove(this.status.guid);
    const text = exitText(info);
    this.cell(info.exitCode === 0 || this.stopRequested ? 'out' : 'err', text);
    await handle.destroy().catch((error: Error) => this.cell('err', `Cleanup of ${handle.containerId} failed: ${error.message}`));
    this.handle = undefined;
    if (this.stopRequested) {
      this.status.lastExit = text;
      return undefined;
    }
    return { reason: healthFailure ?? text, ranForMs: this.ctx.clock.now() - startedAt };
  }

  /**
   * Health checks while the container runs: healthy puts it in the router; a failed check
   * takes it out and kills it. Returns the failure message, if that is how it ended.
   */
  private async checkHealthUntilExit(handle: InstanceHandle, spec: AppSpec): Promise<string | undefined> {
    const health = new AbortController();
    const healthDone = monitorHealth({
      type: spec.healthCheck.type,
      probe: probeFor(spec.healthCheck.type, handle.ip, spec.containerPort, spec.healthCheck.endpoint),
      timings: { ...this.ctx.timings, startTimeoutMs: spec.healthCheck.startTimeoutMs },
      clock: this.ctx.clock,
      signal: health.signal,
      onHealthy: () => {
        if (this.stopRequested) return;
        this.ctx.router.add(this.status.guid, { host: handle.ip, port: spec.containerPort });
        this.health('out', HEALTHY_MESSAGE);
        this.setState('running');
      },
    });
    const outcome = await Promise.race([this.exit!.then(() => undefined), healthDone]);
    let failure: string | undefined;
    if (outcome && outcome.kind !== 'stopped' && !this.stopRequested) {
      failure = outcome.message;
      this.health('err', failure);
      await this.ctx.router.remove(this.status.guid);
      await handle.kill('SIGKILL').catch(() => undefined);
    }
    health.abort();
    await healthDone;
    return failure;
  }

  /** Count the crash and wait out the back-off; false when the instance must stay down. */
  private async afterCrash(reason: string, ranForMs: number): Promise<boolean> {
    this.status.crashCount = nextCrashCount(this.status.crashCount, ranForMs, this.ctx.policy);
    this.status.lastExit = reason;
    this.ctx.event('crash', `instance ${this.index} crashed: ${reason}`, this.index);
    this.setState('crashed');
    const delay = restartDelayMs(this.status.crashCount, this.ctx.policy);
    if (delay === null) {
      this.cell('err', `Giving up after ${this.status.crashCount - 1} restarts`);
      return false;
    }
    if (delay > 0) {
      this.cell('out', `Restarting in ${delay / 1000}s (crash ${this.status.crashCount})`);
      try {
        await this.ctx.clock.sleep(delay, this.stopController.signal);
      } catch {
        return false;
      }
    }
    if (this.stopRequested) return false;
    this.status.restarts++;
    return true;
  }

  private outputSink(): { push: (stream: 'out' | 'err', chunk: Buffer) => void; flush: () => void } {
    const source = appSource(this.ctx.spec().processType);
    const splitters = {
      out: new LineSplitter((message, truncated) => this.emit(source, 'out', message, truncated)),
      err: new LineSplitter((message, truncated) => this.emit(source, 'err', message, truncated)),
    };
    return {
      push: (stream, chunk) => splitters[stream].push(chunk),
      flush: () => {
        splitters.out.flush();
        splitters.err.flush();
      },
    };
  }

  private setState(state: InstanceState): void {
    if (this.status.state !== state) {
      this.status.state = state;
      this.status.since = new Date().toISOString();
    }
    this.ctx.changed();
    for (const watcher of [...this.watchers]) watcher();
  }

  private cell(stream: 'out' | 'err', message: string): void {
    this.emit('CELL', stream, message);
  }

  private health(stream: 'out' | 'err', message: string): void {
    this.emit('HEALTH', stream, message);
  }

  private emit(source: string, stream: 'out' | 'err', message: string, truncated = false): void {
    const entry: LogEntry = { time: new Date().toISOString(), source, instance: this.index, stream, message };
    if (truncated) entry.truncated = true;
    this.ctx.log(entry);
  }
}
