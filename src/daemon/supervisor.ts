import { DropshipError } from '../errors.js';
import { DEFAULT_RESTART_POLICY, type RestartPolicy } from './backoff.js';
import { systemClock, type Clock, type HealthTimings } from './health.js';
import type { InstanceLauncher } from './instance-launcher.js';
import { InstanceSlot, adoptedRelease, type Adoption, type SlotContext } from './instance-slot.js';
import type { LogEntry } from './log-line.js';
import type { AppBackends } from './backends.js';
import type { ProcessView, InstanceStatus } from '../apps/index.js';

export interface SupervisorDeps {
  /** A launcher for the spec as it is now (memory changes need a new one). */
  makeLauncher: (spec: ProcessView) => Promise<InstanceLauncher>;
  backends: AppBackends;
  log: (entry: LogEntry) => void;
  event: (type: string, message: string, instance?: number) => void;
  /** Something in the instances' status changed (to persist it). */
  changed: (status: InstanceStatus[]) => void;
  clock?: Clock;
  policy?: RestartPolicy;
  healthTimings?: Partial<HealthTimings>;
}

/**
 * Everything of a spec that the instances are made from (the image digest, limits, env, command,
 * health check); the count, the port, the release number, the image's name and the buildpacks that built it are not.
 */
function instanceShape(spec: ProcessView): string {
  const { instances: _instances, hostPort: _hostPort, createdAt: _createdAt, release: _release, image: _image, buildpacks: _buildpacks, ...shape } = spec;
  return JSON.stringify(shape);
}

/**
 * Owns the instances of one process type of an app: starts them, scales them, restarts them (all at once or one
 * by one), stops them. Instance slots do the per-instance work; this keeps the set right.
 */
export class Supervisor {
  private slots: InstanceSlot[] = [];
  private launcher?: InstanceLauncher;
  /** The shape `launcher` makes instances of; a slot of another shape is out of date. */
  private shape = '';
  private readonly shapes = new WeakMap<InstanceLauncher, string>();
  /** Adopted instances of an older release than the current one. */
  private readonly stale = new WeakSet<InstanceSlot>();
  /** Instances whose conmon died: they serve until a replacement under a fresh monitor is healthy. */
  private readonly unmonitored = new WeakSet<InstanceSlot>();
  private readonly ctx: SlotContext;
  private busy: Promise<unknown> = Promise.resolve();
  /** Aborted by cancel(): a roll in progress stops waiting for its new instance. */
  private cancelled = new AbortController();

  constructor(
    private spec: ProcessView,
    private readonly deps: SupervisorDeps,
  ) {
    this.ctx = {
      spec: () => this.spec,
      backends: deps.backends,
      clock: deps.clock ?? systemClock,
      policy: deps.policy ?? DEFAULT_RESTART_POLICY,
      timings: deps.healthTimings ?? {},
      log: deps.log,
      event: deps.event,
      changed: () => deps.changed(this.snapshot()),
      unmonitored: (slot) => this.replaceUnmonitored(slot),
    };
  }

  get view(): ProcessView {
    return this.spec;
  }

  /** Operations that change the set of instances run one after another, never interleaved. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.busy.then(fn, fn);
    this.busy = next.catch(() => undefined);
    return next;
  }

  /**
   * Start the instances, taking over `adopted` ones (by index) that an earlier daemon started:
   * they keep running and serving; the data path is left as the earlier daemon wrote it until
   * each adopted instance has had its first health check. Adopted instances beyond the desired
   * count, or a second one for an index, are stopped. A launcher that cannot be made (the image
   * is gone) leaves the adopted instances running; only new ones fail, each with the reason.
   * Adopted instances of an older release (a daemon killed mid-roll, a release made while none
   * ran) are then rolled onto the current one, each replacement healthy before one is drained.
   */
  start(adopted: Map<number, Adoption[]> = new Map()): Promise<void> {
    return this.serial(async () => {
      this.launcher = undefined;
      await this.useSpec(this.spec).catch((error: Error) => {
        // The image is gone: adopted instances run on; new ones fail, each saying why.
        this.launcher = failingLauncher(error, this.spec.imageDigest);
        this.shape = instanceShape(this.spec);
        this.shapes.set(this.launcher, this.shape);
      });
      const extra: InstanceSlot[] = [];
      const taken: InstanceSlot[] = [];
      for (const [index, adoptions] of adopted) {
        // Two for one index (a daemon killed mid-roll): the one of the current release is kept.
        const ordered = [...adoptions].sort((a, b) => Number(adoptedRelease(b) === this.spec.release) - Number(adoptedRelease(a) === this.spec.release));
        ordered.forEach((adoption, n) => {
          const slot = new InstanceSlot(index, this.launcher!, this.ctx);
          slot.run(adoption);
          const release = adoptedRelease(adoption);
          // Started from another release (a daemon that died mid-roll): converged below.
          if (release !== undefined && release !== this.spec.release) this.stale.add(slot);
          if (index < this.spec.instances && n === 0) {
            this.slots.push(slot);
            taken.push(slot);
          } else extra.push(slot);
        });
      }
      const present = new Set(this.slots.map((s) => s.index));
      for (let i = 0; i < this.spec.instances; i++) if (!present.has(i)) this.addSlot(i);
      if (taken.length) this.deps.backends.hold();
      const released = Promise.all(taken.map((slot) => slot.settled())).then(() => this.deps.backends.release());
      if (extra.length || taken.some((slot) => this.stale.has(slot))) void this.converge(released, extra);
    });
  }

  /**
   * After start(), in turn: stop the adopted instances not wanted and roll those of an older
   * release onto the current one. Only once the data path is written again: until then the
   * rules a dead daemon wrote may still send traffic to an extra one, and a replacement must
   * really be in the rules before an old one leaves them.
   */
  private converge(released: Promise<void>, extra: InstanceSlot[]): Promise<void> {
    return this.serial(async () => {
      await released;
      await Promise.all(extra.map((slot) => slot.stop()));
      await this.rollSlots((s) => this.stale.has(s));
      for (const slot of this.slots) this.markRelease(slot);
      this.ctx.changed();
    }).catch((error: Error) => this.deps.event('converge', `instances of an older release than ${this.spec.release} were not all replaced: ${error.message}`));
  }

  /**
   * A start, roll or stop in progress finishes first; then `slot` is replaced like in a roll.
   * Should its replacement not become healthy, it serves on and the next roll replaces it.
   */
  private replaceUnmonitored(slot: InstanceSlot): void {
    this.unmonitored.add(slot);
    void this.serial(() => this.rollSlots((s) => this.unmonitored.has(s))).catch((error: Error) =>
      this.deps.event('monitor-lost', `instance ${slot.index} has no monitor and was not replaced: ${error.message}; the next restart or roll replaces it`, slot.index),
    );
  }

  /** A slot to replace at the next roll: of another shape, of an older release, or without a monitor. */
  private outdated(slot: InstanceSlot): boolean {
    return this.shapes.get(slot.launcher) !== this.shape || this.stale.has(slot) || this.unmonitored.has(slot);
  }

  /** Let go of every instance without stopping it (the daemon stops; the next one adopts them). */
  detachAll(): Promise<void> {
    return Promise.all(this.slots.map((s) => s.detach())).then(() => undefined);
  }

  /**
   * Take `spec` as the desired state. A new launcher only when what instances are made of
   * changed; made before anything else changes, so a release whose image cannot be loaded
   * fails here and leaves every instance as it was.
   */
  private async useSpec(spec: ProcessView): Promise<void> {
    const shape = instanceShape(spec);
    if (!this.launcher || shape !== this.shape) {
      const launcher = await this.deps.makeLauncher(spec);
      this.shapes.set(launcher, shape);
      this.launcher = launcher;
      this.shape = shape;
    }
    this.spec = spec;
  }

  snapshot(): InstanceStatus[] {
    return this.slots.map((s) => ({ ...s.status })).sort((a, b) => a.index - b.index);
  }

  async status(): Promise<InstanceStatus[]> {
    return Promise.all(
      [...this.slots].sort((a, b) => a.index - b.index).map(async (s) => ({ ...s.status, ...(await s.usage()) })),
    );
  }

  /** Resolves when every instance is healthy, or false as soon as one crashes before it is. */
  async waitUntilRunning(): Promise<boolean> {
    const results = await Promise.all(this.slots.map((s) => s.waitUntilRunning()));
    return results.every(Boolean);
  }

  /**
   * Move to a new spec while serving: instances past the new count stop, a change to what an
   * instance is made of (image, limits, env, command, health check) replaces the rest one by
   * one, and missing indexes start.
   */
  update(spec: ProcessView): Promise<void> {
    return this.serial(async () => {
      await this.useSpec(spec);
      const removed = this.slots.filter((s) => s.index >= spec.instances);
      this.slots = this.slots.filter((s) => s.index < spec.instances);
      await Promise.all(removed.map((s) => s.stop()));
      // Every slot not made of the current shape, also those left behind by an earlier roll that failed.
      await this.rollSlots((s) => this.outdated(s));
      const present = new Set(this.slots.map((s) => s.index));
      for (let i = 0; i < spec.instances; i++) if (!present.has(i)) this.addSlot(i);
      // Instances the new release did not change (a scale) are its instances now.
      for (const slot of this.slots) this.markRelease(slot);
      this.ctx.changed();
    });
  }

  /** Replace every instance, on `spec` when given (the current release). */
  restart(options: { rolling: boolean }, spec?: ProcessView): Promise<void> {
    return this.serial(async () => {
      if (spec) await this.useSpec(spec);
      if (options.rolling) {
        const extra = this.slots.filter((s) => s.index >= this.spec.instances);
        this.slots = this.slots.filter((s) => s.index < this.spec.instances);
        await Promise.all(extra.map((s) => s.stop()));
        const present = new Set(this.slots.map((s) => s.index));
        await this.rollSlots(() => true);
        for (let i = 0; i < this.spec.instances; i++) if (!present.has(i)) this.addSlot(i);
        this.ctx.changed();
        return;
      }
      const old = this.slots;
      this.slots = [];
      await Promise.all(old.map((s) => s.stop()));
      for (let i = 0; i < this.spec.instances; i++) this.addSlot(i);
    });
  }

  /** The roll in progress (if any) stops waiting for its new instance, at once. */
  abortRoll(): void {
    this.cancelled.abort();
  }

  /**
   * A Ctrl-C during a start: the roll in progress stops at once (its new instance is stopped,
   * which takes it out of the data path and frees its container and lease), then the instances
   * converge onto `spec`, the release the caller put back. Instances of another shape that are
   * not serving are replaced at once (nothing to keep up); serving ones one by one, as ever.
   */
  cancel(spec: ProcessView): Promise<void> {
    this.abortRoll();
    return this.serial(async () => {
      this.cancelled = new AbortController();
      await this.useSpec(spec);
      const gone = this.slots.filter((s) => s.index >= spec.instances || (this.outdated(s) && s.status.state !== 'running'));
      this.slots = this.slots.filter((s) => !gone.includes(s));
      await Promise.all(gone.map((s) => s.stop()));
      await this.rollSlots((s) => this.outdated(s));
      const present = new Set(this.slots.map((s) => s.index));
      for (let i = 0; i < spec.instances; i++) if (!present.has(i)) this.addSlot(i);
      for (const slot of this.slots) this.markRelease(slot);
      this.ctx.changed();
    });
  }

  stopAll(): Promise<void> {
    return this.serial(async () => {
      const old = this.slots;
      await Promise.all(old.map((s) => s.stop()));
      this.ctx.changed();
    });
  }

  /** A slot made of the current shape runs the current release. */
  private markRelease(slot: InstanceSlot): void {
    if (this.shapes.get(slot.launcher) === this.shape && !this.stale.has(slot)) slot.status.release = this.spec.release;
  }

  private addSlot(index: number): InstanceSlot {
    const slot = new InstanceSlot(index, this.launcher!, this.ctx);
    this.markRelease(slot);
    this.slots.push(slot);
    slot.run();
    return slot;
  }

  /**
   * Replace instances one at a time: the new one must be healthy (and in the data path) before
   * the old one leaves the data path, is drained and stops, so clients never find no instance.
   */
  private async rollSlots(which: (slot: InstanceSlot) => boolean): Promise<void> {
    const { signal } = this.cancelled;
    const cancelled = new Promise<false>((resolve) => {
      if (signal.aborted) resolve(false);
      else signal.addEventListener('abort', () => resolve(false), { once: true });
    });
    for (const old of [...this.slots].filter(which).sort((a, b) => a.index - b.index)) {
      const fresh = new InstanceSlot(old.index, this.launcher!, this.ctx);
      this.markRelease(fresh);
      this.slots.push(fresh);
      fresh.run();
      if (!(await Promise.race([fresh.waitUntilRunning(), cancelled]))) {
        this.slots = this.slots.filter((s) => s !== fresh);
        await fresh.stop();
        if (signal.aborted) {
          throw new DropshipError('ROLL_CANCELLED', `the roll onto release ${this.spec.release} was cancelled; the old ${this.spec.processType} instance ${old.index} keeps running`, {
            hint: `\`dropship ps ${this.spec.name}\` shows the instances`,
          });
        }
        throw new DropshipError('ROLLING_RESTART_FAILED', `the new ${this.spec.processType} instance ${old.index} did not become healthy; the old one keeps running`, {
          hint: `see \`dropship logs ${this.spec.name} --recent\` for why it failed`,
        });
      }
      this.slots = this.slots.filter((s) => s !== old);
      await old.stop();
    }
  }
}

/** A launcher whose every start fails with why it could not be made (the release's image is gone). */
function failingLauncher(error: Error, imageDigest: string): InstanceLauncher {
  return {
    imageDigest,
    start: () => Promise.reject(error),
  };
}
