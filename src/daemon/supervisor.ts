import { DropshipError } from '../errors.js';
import { DEFAULT_RESTART_POLICY, type RestartPolicy } from './backoff.js';
import { systemClock, type Clock, type HealthTimings } from './health.js';
import type { InstanceLauncher } from './instance-launcher.js';
import { InstanceSlot, type SlotContext } from './instance-slot.js';
import type { LogEntry } from './log-line.js';
import type { Router } from './router.js';
import type { AppSpec, InstanceStatus } from '../apps/index.js';

export interface SupervisorDeps {
  /** A launcher for the spec as it is now (memory changes need a new one). */
  makeLauncher: (spec: AppSpec) => Promise<InstanceLauncher>;
  router: Router;
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
 * health check); the count, the port, the release number and the image's name are not.
 */
function instanceShape(spec: AppSpec): string {
  const { instances: _instances, hostPort: _hostPort, createdAt: _createdAt, release: _release, image: _image, ...shape } = spec;
  return JSON.stringify(shape);
}

/**
 * Owns the instances of one app: starts them, scales them, restarts them (all at once or one
 * by one), stops them. Instance slots do the per-instance work; this keeps the set right.
 */
export class Supervisor {
  private slots: InstanceSlot[] = [];
  private launcher?: InstanceLauncher;
  /** The shape `launcher` makes instances of; a slot of another shape is out of date. */
  private shape = '';
  private readonly shapes = new WeakMap<InstanceLauncher, string>();
  private readonly ctx: SlotContext;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    private spec: AppSpec,
    private readonly deps: SupervisorDeps,
  ) {
    this.ctx = {
      spec: () => this.spec,
      router: deps.router,
      clock: deps.clock ?? systemClock,
      policy: deps.policy ?? DEFAULT_RESTART_POLICY,
      timings: deps.healthTimings ?? {},
      log: deps.log,
      event: deps.event,
      changed: () => deps.changed(this.snapshot()),
    };
  }

  get appSpec(): AppSpec {
    return this.spec;
  }

  /** Operations that change the set of instances run one after another, never interleaved. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.busy.then(fn, fn);
    this.busy = next.catch(() => undefined);
    return next;
  }

  start(): Promise<void> {
    return this.serial(async () => {
      await this.useSpec(this.spec);
      for (let i = 0; i < this.spec.instances; i++) this.addSlot(i);
    });
  }

  /**
   * Take `spec` as the desired state. A new launcher only when what instances are made of
   * changed; made before anything else changes, so a release whose image cannot be loaded
   * fails here and leaves every instance as it was.
   */
  private async useSpec(spec: AppSpec): Promise<void> {
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
      [...this.slots].sort((a, b) => a.index - b.index).map(async (s) => ({ ...s.status, memoryBytes: await s.memoryBytes() })),
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
  update(spec: AppSpec): Promise<void> {
    return this.serial(async () => {
      await this.useSpec(spec);
      const removed = this.slots.filter((s) => s.index >= spec.instances);
      this.slots = this.slots.filter((s) => s.index < spec.instances);
      await Promise.all(removed.map((s) => s.stop()));
      // Every slot not made of the current shape, also those left behind by an earlier roll that failed.
      await this.rollSlots((s) => this.shapes.get(s.launcher) !== this.shape);
      const present = new Set(this.slots.map((s) => s.index));
      for (let i = 0; i < spec.instances; i++) if (!present.has(i)) this.addSlot(i);
      // Instances the new release did not change (a scale) are its instances now.
      for (const slot of this.slots) this.markRelease(slot);
      this.ctx.changed();
    });
  }

  /** Replace every instance, on `spec` when given (the current release). */
  restart(options: { rolling: boolean }, spec?: AppSpec): Promise<void> {
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

  stopAll(): Promise<void> {
    return this.serial(async () => {
      const old = this.slots;
      await Promise.all(old.map((s) => s.stop()));
      this.ctx.changed();
    });
  }

  /** A slot made of the current shape runs the current release. */
  private markRelease(slot: InstanceSlot): void {
    if (this.shapes.get(slot.launcher) === this.shape) slot.status.release = this.spec.release;
  }

  private addSlot(index: number): InstanceSlot {
    const slot = new InstanceSlot(index, this.launcher!, this.ctx);
    this.markRelease(slot);
    this.slots.push(slot);
    slot.run();
    return slot;
  }

  /**
   * Replace instances one at a time: the new one must be healthy (and in the router) before the
   * old one leaves the router (drained) and stops, so clients never find no instance.
   */
  private async rollSlots(which: (slot: InstanceSlot) => boolean): Promise<void> {
    for (const old of [...this.slots].filter(which).sort((a, b) => a.index - b.index)) {
      const fresh = new InstanceSlot(old.index, this.launcher!, this.ctx);
      this.markRelease(fresh);
      this.slots.push(fresh);
      fresh.run();
      if (!(await fresh.waitUntilRunning())) {
        this.slots = this.slots.filter((s) => s !== fresh);
        await fresh.stop();
        throw new DropshipError('ROLLING_RESTART_FAILED', `the new instance ${old.index} did not become healthy; the old one keeps running`, {
          hint: `see \`dropship logs ${this.spec.name} --recent\` for why it failed`,
        });
      }
      this.slots = this.slots.filter((s) => s !== old);
      await old.stop();
    }
  }
}
