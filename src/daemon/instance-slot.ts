import { randomUUID } from 'node:crypto';
import type { ExitInfo } from '../container/types.js';
import { nextCrashCount, restartDelayMs, type RestartPolicy } from './backoff.js';
import { monitorHealth, HEALTHY_MESSAGE, type Clock, type HealthTimings } from './health.js';
import type { InstanceHandle, InstanceLauncher } from './instance-launcher.js';
import type { InstanceUsage } from './instance-usage.js';
import { appSource, type LogEntry } from './log-line.js';
import { LogTail } from './log-tail.js';
import { probeFor } from './probes.js';
import { DRAIN_MS, type AppBackends } from './backends.js';
import { awaitDrained, connectionsTo } from './drain.js';
import type { ProcessView, InstanceState, InstanceStatus } from '../apps/index.js';

/** What a slot shares with its supervisor. */
export interface SlotContext {
  spec: () => ProcessView;
  backends: AppBackends;
  clock: Clock;
  policy: RestartPolicy;
  timings: Partial<HealthTimings>;
  log: (entry: LogEntry) => void;
  event: (type: string, message: string, instance?: number) => void;
  changed: () => void;
  /** The slot's container lost its monitor: the supervisor replaces it under a fresh one. */
  unmonitored: (slot: InstanceSlot) => void;
}

export function exitText(info: ExitInfo): string {
  if (info.statusError) return `Exit status unknown: ${info.statusError.message}`;
  return `Exit status ${info.exitCode}${info.oomKilled ? ' (out of memory)' : ''}`;
}

/** What a new daemon knows of an instance an earlier one started: its container and its last status. */
export interface Adoption {
  handle: InstanceHandle;
  prior?: InstanceStatus;
  /** The release and digest the container was started from (its labels; absent on older containers). */
  started?: { release?: number; imageDigest?: string };
}

/**
 * The release an adopted container runs: the status an earlier daemon wrote of it, else its label.
 * The status first: a release that did not change what instances are made of (a scale) is marked
 * on the instances it kept, whose labels still name the release they were started from; the label
 * tells when no status was written (a container a daemon killed mid-roll had just started).
 */
export function adoptedRelease(adoption: Adoption): number | undefined {
  return adoption.prior?.release ?? adoption.started?.release;
}

/**
 * One instance index over its whole life: start a container (or adopt the one an earlier
 * daemon started), check its health, put it in the data path once healthy, and restart it with
 * back-off when it crashes, until told to stop, or until the daemon lets go of it (detach: the
 * container runs on, for the next daemon to adopt).
 */
export class InstanceSlot {
  readonly status: InstanceStatus;
  private stopRequested = false;
  private detached = false;
  /** Crashed since this slot began (an adopted instance's earlier crashes do not count). */
  private crashedHere = false;
  private runningSince?: string;
  private adoption?: Adoption;
  private readonly stopController = new AbortController();
  private readonly healthController = new AbortController();
  private tail?: LogTail;
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
      process: ctx.spec().processType,
      index,
      guid: randomUUID(),
      state: 'down',
      restarts: 0,
      crashCount: 0,
      since: new Date().toISOString(),
      imageDigest: launcher.imageDigest,
    };
  }

  run(adoption?: Adoption): void {
    if (adoption) {
      this.adoption = adoption;
      const prior = adoption.prior;
      if (prior) {
        Object.assign(this.status, { guid: prior.guid, restarts: prior.restarts, crashCount: prior.crashCount, lastExit: prior.lastExit });
        // What the container was started from, not what this daemon would start now.
        if (prior.release !== undefined) this.status.release = prior.release;
        if (prior.imageDigest !== undefined) this.status.imageDigest = prior.imageDigest;
        // Healthy again at once, it has been running since then, not since this daemon began.
        if (prior.state === 'running') this.runningSince = prior.since;
      }
      const started = adoption.started;
      if (prior?.release === undefined && started?.release !== undefined) this.status.release = started.release;
      if (prior?.imageDigest === undefined && started?.imageDigest !== undefined) this.status.imageDigest = started.imageDigest;
    }
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
        if (this.crashedHere || this.status.state === 'down' || this.stopRequested) finish(false);
      };
      const finish = (value: boolean) => {
        this.watchers.delete(check);
        resolve(value);
      };
      this.watchers.add(check);
      check();
    });
  }

  async usage(): Promise<InstanceUsage> {
    return (await this.handle?.usage().catch(() => undefined)) ?? {};
  }

  /**
   * The daemon stops, the instance does not: health checks and the log tail end (the offset is
   * saved for the next daemon), the container and its place in the data path stay.
   */
  async detach(): Promise<void> {
    this.detached = true;
    this.stopRequested = true;
    this.stopController.abort();
    this.healthController.abort();
    await this.tail?.stop(false);
    await this.done;
  }

  /** Has a first verdict: healthy, or no longer starting (crashed, stopped). */
  settled(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.status.state === 'starting') return;
        this.watchers.delete(check);
        resolve();
      };
      this.watchers.add(check);
      check();
    });
  }

  /** Out of the data path first (and drained), then SIGTERM, then SIGKILL after the stop timeout. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.stopController.abort();
    if (this.handle) await this.terminate(this.handle);
    await this.done;
  }

  private terminate(handle: InstanceHandle): Promise<void> {
    this.terminating ??= (async () => {
      const spec = this.ctx.spec();
      const timeoutMs = spec.stopTimeoutMs;
      this.setState('stopping');
      // Only an instance that served has connections to let finish; they end before SIGTERM.
      if (await this.ctx.backends.remove(this.status.guid)) {
        await awaitDrained(() => connectionsTo(handle.pid, spec.containerPort), Math.min(timeoutMs, DRAIN_MS), this.ctx.clock);
      }
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
    if (this.detached) return;
    this.status.containerId = undefined;
    this.status.ip = undefined;
    this.setState(gaveUp ? 'crashed' : 'down');
  }

  /** One container from start (or adoption) to exit: why it crashed, or undefined when it was stopped. */
  private async runOnce(): Promise<{ reason: string; ranForMs: number } | undefined> {
    const adoption = this.adoption;
    this.adoption = undefined;
    this.setState('starting');
    const spec = this.ctx.spec();
    let handle: InstanceHandle;
    if (adoption) {
      handle = adoption.handle;
    } else {
      try {
        handle = await this.launcher.start({ index: this.index, guid: this.status.guid });
      } catch (error) {
        const reason = `Failed to create container: ${(error as Error).message}`;
        this.cell('err', reason);
        return { reason, ranForMs: 0 };
      }
    }
    this.handle = handle;
    this.exit = handle.wait();
    this.terminating = undefined;
    this.status.containerId = handle.containerId;
    this.status.ip = handle.ip;
    this.status.pid = handle.pid;
    void handle.monitorLost().then(() => this.monitorLost(handle));
    const tail = (this.tail = this.logTail(handle.logPath));
    await tail.start({ resume: adoption !== undefined });
    if (adoption) this.ctx.event('instance-adopt', `instance ${this.index} adopted in container ${handle.containerId} (pid ${handle.pid})`, this.index);
    else this.ctx.event('instance-start', `instance ${this.index} started in container ${handle.containerId}`, this.index);
    this.ctx.changed();
    if (this.stopRequested && !this.detached) void this.terminate(handle);
    const startedAt = this.ctx.clock.now();
    const healthFailure = await this.checkHealthUntilExit(handle, spec);
    if (this.detached) {
      await tail.stop(false);
      return undefined;
    }
    const info = await this.exit;
    await tail.stop(true);
    if (this.detached) return undefined;
    await this.ctx.backends.remove(this.status.guid);
    const text = exitText(info);
    if (info.statusError) this.ctx.event('exit-status-unknown', `instance ${this.index}: ${info.statusError.message}`, this.index);
    this.cell(info.exitCode === 0 || this.stopRequested ? 'out' : 'err', text);
    await handle.destroy().catch((error: Error) => this.cell('err', `Cleanup of ${handle.containerId} failed: ${error.message}`));
    await tail.remove();
    this.handle = undefined;
    this.tail = undefined;
    this.status.pid = undefined;
    if (this.stopRequested) {
      this.status.lastExit = text;
      return undefined;
    }
    return { reason: healthFailure ?? text, ranForMs: this.ctx.clock.now() - startedAt };
  }

  /**
   * conmon died and the container runs on: nobody reads its output (its next write gets
   * SIGPIPE) and nobody will record its exit, so it cannot be supervised. It keeps serving while
   * the supervisor starts a replacement under a fresh monitor, as podman and CRI-O would need to.
   */
  private monitorLost(handle: InstanceHandle): void {
    if (this.handle !== handle || this.stopRequested) return;
    const message = `the monitor (conmon) of container ${handle.containerId} is gone: its output and exit can no longer be seen; replacing it`;
    this.cell('err', message);
    this.ctx.event('monitor-lost', `instance ${this.index}: ${message}`, this.index);
    this.ctx.unmonitored(this);
  }

  /** The container's output, from conmon's log file, into the app's log with the instance's tag. */
  private logTail(path: string): LogTail {
    const source = appSource(this.ctx.spec().processType);
    return new LogTail(
      path,
      // conmon's time: lines read late (by a daemon adopting the instance) keep when they were written.
      (line) => this.emit(source, line.stream === 'stderr' ? 'err' : 'out', line.line, line.cut, isoTime(line.time)),
      (error) => this.cell('err', `Reading the log of the instance failed: ${error.message}`),
    );
  }

  /**
   * Health checks while the container runs: healthy puts it in the data path; a failed check
   * takes it out and kills it. Returns the failure message, if that is how it ended.
   */
  private async checkHealthUntilExit(handle: InstanceHandle, spec: ProcessView): Promise<string | undefined> {
    const health = new AbortController();
    const onDetach = () => health.abort();
    this.healthController.signal.addEventListener('abort', onDetach, { once: true });
    const healthDone = monitorHealth({
      type: spec.healthCheck.type,
      probe: probeFor(spec.healthCheck.type, handle.ip, spec.containerPort, spec.healthCheck.endpoint),
      timings: { ...this.ctx.timings, startTimeoutMs: spec.healthCheck.startTimeoutMs },
      clock: this.ctx.clock,
      signal: health.signal,
      onHealthy: () => {
        if (this.stopRequested) return;
        // Running means serving: in the data path's rules, and the app's lines so far logged
        // first ("listening on 8080" comes before "became healthy").
        const added = this.ctx.backends.add(this.status.guid, { ip: handle.ip, port: spec.containerPort });
        void Promise.all([added, this.tail?.drain()]).then(() => {
          if (this.stopRequested || this.handle !== handle) return;
          this.health('out', HEALTHY_MESSAGE);
          this.setState('running');
        });
      },
    });
    const detached = new Promise<undefined>((resolve) => {
      if (this.healthController.signal.aborted) resolve(undefined);
      else this.healthController.signal.addEventListener('abort', () => resolve(undefined), { once: true });
    });
    const outcome = await Promise.race([this.exit!.then(() => undefined), healthDone, detached]);
    let failure: string | undefined;
    if (outcome && outcome.kind !== 'stopped' && !this.stopRequested) {
      failure = outcome.message;
      this.health('err', failure);
      await this.ctx.backends.remove(this.status.guid);
      await handle.kill('SIGKILL').catch(() => undefined);
    }
    health.abort();
    this.healthController.signal.removeEventListener('abort', onDetach);
    await healthDone;
    return failure;
  }

  /** Count the crash and wait out the back-off; false when the instance must stay down. */
  private async afterCrash(reason: string, ranForMs: number): Promise<boolean> {
    this.crashedHere = true;
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

  private setState(state: InstanceState): void {
    if (this.status.state !== state) {
      this.status.state = state;
      this.status.since = (state === 'running' && this.runningSince) || new Date().toISOString();
      if (state === 'running') this.runningSince = undefined;
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

  private emit(source: string, stream: 'out' | 'err', message: string, truncated = false, time = new Date().toISOString()): void {
    const entry: LogEntry = { time, source, instance: this.index, stream, message };
    if (truncated) entry.truncated = true;
    this.ctx.log(entry);
  }
}

/** An RFC 3339 time with nanoseconds and an offset, as the log store's ISO UTC milliseconds. */
function isoTime(time: string): string {
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? new Date().toISOString() : date.toISOString();
}
