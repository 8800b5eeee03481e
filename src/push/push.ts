import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import type { Containment } from '../util/contained-path.js';
import type { PushPlan } from './push-options.js';
import { keepSource } from './source-store.js';

/**
 * `dropship push`: stack → stage → image → run, one straight sequence over four narrow seams
 * (declared here, wired to the stack, staging, oci and app rooms in push-seams.ts). Each phase
 * is exported on its own so the CLI can show it as a task; `push` runs them all.
 */

export interface StackLayer {
  name: string;
  diffId: `sha256:${string}`;
  digest: `sha256:${string}`;
  size: number;
  mediaType?: string;
}

export interface StageInput {
  appDir: string;
  /** A manifest's `path:`: where appDir must still be when it is read (see StagingOptions). */
  appDirWithin?: Containment;
  name: string;
  stack: string;
  buildpacks: string[];
  /** The manifest that named the buildpacks, when the operator did not. */
  buildpacksFrom?: string;
  env: Record<string, string>;
  command?: string;
  memoryBytes: number;
  /** -k / disk_quota: staging's disk limit too. */
  diskBytes: number;
  droplet: string;
  result: string;
  /** The app's image tag: a Cloud Native Buildpacks build exports its image there itself. */
  tag: string;
  onLog: (line: string) => void;
  /** Aborting stops the staging container and removes what it made. */
  signal?: AbortSignal;
}

export interface StageOutput {
  /** Empty when Cloud Native Buildpacks built the app: they export an image, not a droplet. */
  droplet: string;
  result: string;
  /** Buildpacks that ran, as `name version`. */
  buildpacks: string[];
  detectedBuildpack?: string;
  processTypes: Record<string, string>;
  /** Cloud Native Buildpacks exported the image themselves (their layers, launcher and labels): the image phase has nothing left to do. */
  image?: ImageOutput;
}

export interface ImageOutput {
  ref: string;
  digest: string;
  startCommand?: string;
  processTypes: Record<string, string>;
  warnings: string[];
  /** The tag already held this exact image (same droplet on the same stack build): nothing was written. */
  reused?: boolean;
  /**
   * Built by Cloud Native Buildpacks: web runs the image's default process (its Entrypoint, the
   * CNB launcher), named here, unless a command is given; the other types run as /cnb/process/<type>.
   */
  cnb?: { defaultProcess: string };
}

/** One process type of the pushed app as the start phase releases it. */
export interface StartProcess {
  type: string;
  /** Unset: an existing app keeps this process's count; a new process gets 1 for web, 0 for others. */
  instances?: number;
  memoryBytes: number;
  diskBytes: number;
  /** Unset for web: the image's start command. */
  command?: string;
  healthCheck: PushPlan['healthCheck'];
}

export interface StartInput extends Pick<PushPlan, 'env' | 'hostPort' | 'strategy' | 'noStart'> {
  name: string;
  image: string;
  /** Every process type of the app, web first. */
  processes: StartProcess[];
  /** The buildpacks that staged the image, recorded in the release. */
  buildpacks: string[];
  onLog: (line: string) => void;
  /** Ctrl-C: stop waiting for health (the app is left on the release it had, stopped if new). */
  signal?: AbortSignal;
}

/** Why a process did not become healthy: one plain sentence and the app's last lines. */
export interface StartFailureOutput {
  reason: string;
  lines: string[];
}

export interface StartOutput {
  /** The release the push made of the app (every process type, pinned to the image digest). */
  release: number;
  hostPort: number;
  processes: Array<{ type: string; state: string; healthy: number; requested: number; failure?: StartFailureOutput }>;
}

export interface PushSeams {
  ensureStack(name: string, onLog: (line: string) => void): Promise<StackLayer>;
  stage(input: StageInput): Promise<StageOutput>;
  buildImage(input: { droplet: string; result: string; stack: StackLayer; tag: string }): Promise<ImageOutput>;
  start(input: StartInput): Promise<StartOutput>;
}

export type PushPhase = 'stack' | 'stage' | 'image' | 'start';

export interface ProcessSummary {
  type: string;
  state: string;
  healthy: number;
  requested: number;
  command?: string;
  memoryBytes: number;
  diskBytes: number;
  failure?: StartFailureOutput;
}

export interface PushSummary {
  name: string;
  state: string;
  stack: string;
  buildpacks: string[];
  image: string;
  digest: string;
  /** The image was already tagged from an identical droplet and stack build, so it was reused, not rebuilt. */
  imageReused: boolean;
  startCommand?: string;
  /** The release the push made (undefined before the start phase ran). */
  release?: number;
  /** Every process type of the app, web first. */
  processes: ProcessSummary[];
  url?: string;
  warnings: string[];
  /** Milliseconds per phase. */
  timings: Partial<Record<PushPhase, number>>;
}

/** What a push carries between its phases. */
export interface PushWork {
  plan: PushPlan;
  dir: string;
  signal?: AbortSignal;
  stack?: StackLayer;
  staged?: StageOutput;
  image?: ImageOutput;
  processes: ProcessSummary[];
  release?: number;
  url?: string;
  timings: Partial<Record<PushPhase, number>>;
}

async function timed<T>(work: PushWork, phase: PushPhase, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    work.timings[phase] = Math.round(performance.now() - started);
  }
}

export async function beginPush(plan: PushPlan, options: { signal?: AbortSignal } = {}): Promise<PushWork> {
  const dir = join(homePaths().tmp, `push-${plan.name}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  return { plan, dir, signal: options.signal, processes: [], timings: {} };
}

/** Remove what the push wrote on the side (droplet, result); safe to call twice. */
export async function endPush(work: PushWork): Promise<void> {
  await rm(work.dir, { recursive: true, force: true });
}

export async function stackPhase(seams: PushSeams, work: PushWork, onLog: (line: string) => void): Promise<StackLayer> {
  work.stack = await timed(work, 'stack', () => seams.ensureStack(work.plan.stack, onLog));
  return work.stack;
}

export async function stagePhase(seams: PushSeams, work: PushWork, onLog: (line: string) => void): Promise<StageOutput> {
  const { plan } = work;
  work.staged = await timed(work, 'stage', async () =>
    seams.stage({
      appDir: plan.path,
      appDirWithin: plan.pathWithin,
      name: plan.name,
      stack: plan.stack,
      buildpacks: plan.buildpacks,
      buildpacksFrom: plan.buildpacksFrom,
      env: plan.env,
      command: plan.command,
      memoryBytes: plan.memoryBytes,
      diskBytes: plan.diskBytes,
      droplet: join(work.dir, 'droplet.tgz'),
      result: join(work.dir, 'result.json'),
      tag: imageTag(plan.name),
      onLog,
      signal: work.signal,
    }),
  );
  return work.staged;
}

/**
 * One tag per app, never shared: every instance start loads it, so `Shop` and `shop` on one tag
 * would run each other's code. A name that is a valid image name keeps `dropship-apps/<name>:latest`;
 * any other (upper case, `a..b`, `x_`) is the tag of `dropship-apps/by-name`, and is never `latest`.
 */
export function imageTag(appName: string): string {
  return /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(appName) ? `dropship-apps/${appName}:latest` : `dropship-apps/by-name:${appName}`;
}

export async function imagePhase(seams: PushSeams, work: PushWork): Promise<ImageOutput> {
  const { stack, staged } = work;
  if (!stack || !staged) throw new DropshipError('PUSH_ORDER', 'the image phase needs the stack and staging phases first');
  if (staged.image) return (work.image = staged.image);
  work.image = await timed(work, 'image', () =>
    seams.buildImage({ droplet: staged.droplet, result: staged.result, stack, tag: imageTag(work.plan.name) }));
  return work.image;
}

/**
 * Every process type of the app: web, each other type the image's Procfile has, and any the
 * manifest adds with a command. The manifest's `processes:` entries set a type's instances,
 * limits, command and health check; a type it does not set keeps its instance count on a
 * re-push, and starts with none when new (web with one), as in Cloud Foundry.
 */
export function appProcesses(plan: PushPlan, image: Pick<ImageOutput, 'processTypes' | 'cnb'>): StartProcess[] {
  // A CNB image without a web type runs its default process as web (its Entrypoint): not twice.
  const imageTypes = Object.keys(image.processTypes).filter((t) => !image.cnb || 'web' in image.processTypes || t !== image.cnb.defaultProcess);
  const types = ['web', ...imageTypes, ...plan.processes.map((p) => p.type)].filter((t, i, all) => all.indexOf(t) === i);
  return types.map((type): StartProcess => {
    if (type === 'web') {
      return { type, instances: plan.instances, memoryBytes: plan.memoryBytes, diskBytes: plan.diskBytes, healthCheck: plan.healthCheck, ...(plan.command === undefined ? {} : { command: plan.command }) };
    }
    const m = plan.processes.find((p) => p.type === type);
    // A CNB type without a manifest command runs as /cnb/process/<type> (its command array, quoting
    // intact); the joined words in processTypes are for display only.
    const command = m?.command ?? (image.cnb ? undefined : image.processTypes[type]);
    return {
      type,
      instances: m?.instances,
      memoryBytes: m?.memoryBytes ?? plan.memoryBytes,
      diskBytes: m?.diskBytes ?? plan.diskBytes,
      healthCheck: {
        type: m?.healthCheckType ?? 'process',
        endpoint: m?.healthCheckHttpEndpoint ?? '/',
        timeoutSeconds: m?.timeoutSeconds ?? plan.healthCheck.timeoutSeconds,
      },
      ...(command === undefined ? {} : { command }),
    };
  });
}

/** One release of the app with every process type on the image, started detached (or, with --no-start, only released). */
export async function startPhase(seams: PushSeams, work: PushWork, onLog: (line: string) => void): Promise<ProcessSummary[]> {
  const { plan, image } = work;
  if (!image) throw new DropshipError('PUSH_ORDER', 'the start phase needs the image phase first');
  // A CNB image's types run through its launcher (/cnb/process/<type>; a command through
  // /cnb/lifecycle/launcher), web without a command as its Entrypoint, the default process.
  const processes = appProcesses(plan, image);
  for (const p of processes) {
    if (p.command === undefined && image.processTypes[p.type] === undefined && !(image.cnb && p.type === 'web')) {
      throw new DropshipError('PUSH_NO_COMMAND', `process type '${p.type}' of ${plan.name} has no command: staging found ${Object.keys(image.processTypes).join(', ') || 'no process types'}`, {
        hint: `add '${p.type}: COMMAND' to the Procfile, or a command for it in the manifest`,
      });
    }
  }
  work.processes = await timed(work, 'start', async () => {
    const out = await seams.start({
      name: plan.name,
      image: image.ref,
      processes,
      buildpacks: work.staged?.buildpacks ?? [],
      env: plan.env,
      hostPort: plan.hostPort,
      strategy: plan.strategy,
      noStart: plan.noStart,
      onLog,
      signal: work.signal,
    });
    work.release = out.release;
    work.url = `http://127.0.0.1:${out.hostPort}`;
    // What `dropship restage` stages again: the source this release was built from.
    await keepSource(plan.name, plan.path, { release: out.release, stack: plan.stack, buildpacks: plan.buildpacks }, plan.pathWithin);
    return out.processes.map((o) => {
      const p = processes.find((q) => q.type === o.type)!;
      return { ...o, command: p.command ?? image.processTypes[p.type], memoryBytes: p.memoryBytes, diskBytes: p.diskBytes };
    });
  });
  return work.processes;
}

export function pushSummary(work: PushWork): PushSummary {
  const { plan, staged, image } = work;
  const healthy = work.processes.length > 0 && work.processes.every((p) => p.healthy >= p.requested);
  return {
    name: plan.name,
    state: plan.noStart ? 'stopped' : healthy ? 'running' : work.processes.some((p) => p.healthy > 0) ? 'degraded' : 'crashed',
    stack: plan.stack,
    buildpacks: staged?.buildpacks ?? [],
    image: image?.ref ?? '',
    digest: image?.digest ?? '',
    imageReused: image?.reused ?? false,
    startCommand: plan.command ?? image?.startCommand,
    ...(work.release === undefined ? {} : { release: work.release }),
    processes: work.processes,
    url: work.url,
    warnings: image?.warnings ?? [],
    timings: work.timings,
  };
}

/** Did every process reach its requested instances? `push` exits 0 only then. */
export function pushSucceeded(summary: PushSummary, plan: PushPlan): boolean {
  if (plan.noStart) return true;
  return summary.processes.length > 0 && summary.processes.every((p) => p.healthy >= p.requested);
}

/** The whole push, for library users and the benchmark. */
export async function push(
  plan: PushPlan,
  seams: PushSeams,
  events: { onPhase?: (phase: PushPhase) => void; onLog?: (line: string) => void; signal?: AbortSignal } = {},
): Promise<PushSummary> {
  const onLog = events.onLog ?? (() => undefined);
  const work = await beginPush(plan, { signal: events.signal });
  try {
    events.onPhase?.('stack');
    await stackPhase(seams, work, onLog);
    events.onPhase?.('stage');
    await stagePhase(seams, work, onLog);
    events.onPhase?.('image');
    await imagePhase(seams, work);
    events.onPhase?.('start');
    await startPhase(seams, work, onLog);
    return pushSummary(work);
  } finally {
    await endPush(work);
  }
}
