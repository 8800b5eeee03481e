import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { withLock } from '../util/lock.js';
import { cancelledError, isCancelled } from './control.js';
import { askApp, spawnSupervisor, supervisorState } from './daemon-client.js';
import { allocateHostPort, releaseAppHostPort } from './host-port.js';
import { containerPortFor, inspectAppImage, removeLabelledContainers } from '../sandbox/index.js';
import { normalizeRunOptions, parseDisk, parseInstances, parseMemory, startWaitMs, stopWaitMs, type NormalizedRunOptions, type RunOptions } from './run-options.js';
import { recordStart, stopCancelledStart } from './start-events.js';
import { commitRelease, restoreRelease } from './releases.js';
import { requireScaleFits, scaleEventText } from './scale-fit.js';
import { stackMarks, type StackMark } from './stack-marks.js';
import {
  APP_LABEL,
  appPaths,
  ensureAppDir,
  listAppNames,
  readAppSpec,
  readEvents,
  readInstanceStatus,
  recordEvent,
  requireAppSpec,
  findProcess,
  instanceProcess,
  mainProcess,
  routedType,
  type AppEvent,
  type AppSpec,
  type HealthCheck,
  type InstanceStatus,
  type ReleaseContent,
} from './state.js';

/** One process type of an app as `ps` shows it: `worker 0/0`. */
export interface ProcessSummary {
  type: string;
  /** Instances the current release asks for. */
  instances: number;
  /** Of those, how many are running (healthy). */
  running: number;
  memoryBytes: number;
  diskBytes: number;
  healthCheck: HealthCheck;
  command?: string;
}

export interface AppSummary {
  name: string;
  image: string;
  /** The current release and the image digest it pins. */
  release: number;
  imageDigest: string;
  /** `started`: the store's daemon supervises it; `stopped`. */
  state: 'started' | 'stopped';
  hostPort: number;
  /** Where the routed process answers (`http://127.0.0.1:PORT`); absent when no process is routed. */
  url?: string;
  /** The buildpacks that staged the current release's image (absent: run as an image, or not recorded). */
  buildpacks?: string[];
  /** Every process type, web first, with its desired and running instances. */
  processes: ProcessSummary[];
  supervisorPid?: number;
  /** The current release's stack build against the stack's current one (null: the image names no stack; absent: not recorded). */
  stack?: StackMark | null;
  instances: InstanceSummary[];
}

/** An instance with the stack mark of the release it runs (during a roll, or after a rebase, not the current one). */
export type InstanceSummary = InstanceStatus & { stack?: StackMark | null };

export interface StartResult {
  app: string;
  hostPort: number;
  /** Every instance became healthy. */
  running: boolean;
  instances: InstanceStatus[];
}

/**
 * Remove every container of the app and its network: those labelled with the app's name and
 * those the last status names. Used when a supervisor died without cleaning up, and by delete.
 */
async function cleanupAppContainers(name: string): Promise<string[]> {
  const known = (await readInstanceStatus(name).catch(() => [])).flatMap((i) => (i.containerId ? [i.containerId] : []));
  return removeLabelledContainers(APP_LABEL, name, known);
}

function appsLock(): string {
  return join(homePaths().locks, 'apps.lock');
}

/** Validate the options and write the app's desired state; nothing runs yet. */
export async function createApp(options: RunOptions & { reason?: string }): Promise<AppSpec> {
  return createNormalizedApp(await normalizeRunOptions(options), options.reason);
}

/** createApp of options normalizeRunOptions made (the daemon is handed them so by `run -d`): the image resolved in the store, a host port, release 1. */
export async function createNormalizedApp(normalized: NormalizedRunOptions, reason = 'run'): Promise<AppSpec> {
  const image = await inspectAppImage(normalized.image);
  return withLock(appsLock(), async () => {
    if (await readAppSpec(normalized.name)) {
      throw new DropshipError('APP_EXISTS', `an app named '${normalized.name}' exists`, {
        hint: `start it with \`dropship start ${normalized.name}\`, or remove it with \`dropship delete ${normalized.name}\``,
      });
    }
    const { port, ...rest } = normalized;
    const hostPort = await allocateHostPort(normalized.name, port.host);
    await ensureAppDir(normalized.name);
    await recordEvent(normalized.name, { type: 'create', message: `created from image ${image.ref} on host port ${hostPort}` });
    return commitRelease(
      { ...rest, image: image.ref, imageDigest: image.digest, stack: image.stack, hostPort, containerPort: containerPortFor(port.container, image.config.ExposedPorts) },
      `${reason} ${image.ref}`,
    );
  });
}

/** How a command waits for instances to become healthy: `signal` (Ctrl-C) ends the wait at once. */
export interface WaitOptions {
  signal?: AbortSignal;
}

/** Supervisor up, then wait for the first verdict on every instance (healthy or crashed). */
async function startDetached(spec: AppSpec, wait: WaitOptions): Promise<StartResult> {
  await spawnSupervisor(spec.name);
  return waitForInstances(spec, wait);
}

/** The first verdict on every instance; a Ctrl-C stops the app again (it was stopped, or new). */
async function waitForInstances(spec: AppSpec, wait: WaitOptions): Promise<StartResult> {
  await recordStart(spec);
  const waitMs = startWaitMs(spec);
  try {
    const result = await askApp<{ running: boolean; instances: InstanceStatus[] }>(spec.name, { op: 'wait-running' }, waitMs, wait.signal);
    return { app: spec.name, hostPort: spec.hostPort, ...result };
  } catch (error) {
    if (!isCancelled(error, wait.signal)) throw error;
    return stopCancelledStart(spec, wait.signal);
  }
}

/**
 * Remove an app whose supervisor never came up (its host port taken, say), so that the same
 * `run` can simply be retried.
 */
export async function discardApp(name: string): Promise<void> {
  await rm(appPaths(name).dir, { recursive: true, force: true });
  await releaseAppHostPort(name).catch(() => undefined);
}

/** What `ps` shows of one app; `live` is the daemon's status of it (asked for when the app is started and it is not given). */
export async function appSummary(name: string, live?: { pid: number; instances: InstanceStatus[] }): Promise<AppSummary> {
  const spec = await requireAppSpec(name);
  const state = live ? { kind: 'running' as const } : await supervisorState(name);
  const base = {
    name,
    image: spec.image,
    release: spec.release,
    imageDigest: spec.imageDigest,
    hostPort: spec.hostPort,
    ...(routedType(spec) === undefined ? {} : { url: `http://127.0.0.1:${spec.hostPort}` }),
    ...(spec.buildpacks === undefined ? {} : { buildpacks: spec.buildpacks }),
  };
  const processes = (instances: InstanceStatus[]): ProcessSummary[] =>
    spec.processes.map(({ type, ...p }) => ({
      type,
      ...p,
      running: instances.filter((i) => instanceProcess(spec, i) === type && i.state === 'running').length,
    }));
  const withStacks = async (instances: InstanceStatus[]) => {
    const marks = await stackMarks(spec, instances);
    const mark = (release: number | undefined) => (release === undefined ? undefined : marks.get(release));
    return { processes: processes(instances), stack: mark(spec.release), instances: instances.map((i) => ({ ...i, stack: mark(i.release) })) };
  };
  if (state.kind === 'running') {
    const status = live ?? (await askApp<{ pid: number; instances: InstanceStatus[] }>(name, { op: 'status' }, 10_000));
    return { ...base, state: 'started', supervisorPid: status.pid, ...(await withStacks(status.instances)) };
  }
  return { ...base, state: 'stopped', ...(await withStacks([])) };
}

/**
 * How long to wait for the supervisor to replace every instance one at a time: each may take
 * its whole start timeout and stop timeout, plus a minute of slack for a busy host.
 */
function replaceWaitMs(spec: AppSpec, previous?: AppSpec): number {
  const each = (s: AppSpec) => s.processes.reduce((ms, p) => ms + (p.healthCheck.startTimeoutMs + s.stopTimeoutMs) * Math.max(1, p.instances), 0);
  return Math.max(each(spec), previous ? each(previous) : 0) + 60_000;
}

/** `dropship ps [APP]`, `dropship apps` and `dropship app APP`. */
export async function listApps(name?: string): Promise<AppSummary[]> {
  const names = name ? [name] : await listAppNames();
  const result: AppSummary[] = [];
  for (const n of names) {
    if (!name && !(await readAppSpec(n).catch(() => undefined))) continue;
    result.push(await appSummary(n));
  }
  return result;
}

/** `dropship stop APP`: every instance gets SIGTERM (SIGKILL after the stop timeout); the app stays stopped. */
export async function stopApp(name: string): Promise<void> {
  const spec = await requireAppSpec(name);
  if ((await supervisorState(name)).kind === 'running') {
    await askApp(name, { op: 'stop' }, stopWaitMs(spec));
  }
  await recordEvent(name, { type: 'stop', message: 'stopped' });
}

/** `dropship start APP`: the daemon supervises it again (or already does). */
export async function startApp(name: string, wait: WaitOptions = {}): Promise<StartResult & { alreadyRunning: boolean }> {
  const spec = await requireAppSpec(name);
  if ((await supervisorState(name)).kind === 'running') {
    // Started already, perhaps still starting: the first verdict on every instance, as for a start.
    const waitMs = startWaitMs(spec);
    const status = await askApp<{ running: boolean; instances: InstanceStatus[] }>(name, { op: 'wait-running' }, waitMs, wait.signal).catch((error: unknown) => {
      if (!isCancelled(error, wait.signal)) throw error;
      throw cancelledError(`stopped waiting for '${name}' (Ctrl-C): it stays started`, `\`dropship ps ${name}\` shows its instances`, wait.signal);
    });
    return { app: name, hostPort: spec.hostPort, running: status.running, instances: status.instances, alreadyRunning: true };
  }
  return { ...(await startDetached(spec, wait)), alreadyRunning: false };
}

/**
 * `dropship restart APP [--rolling]`: every instance is replaced by one of the current release
 * (so a release made while the app ran, by a rebase or a `push --no-start`, takes effect);
 * rolling: one at a time, each new one healthy before an old one is drained.
 */
export async function restartApp(name: string, options: { rolling?: boolean } & WaitOptions = {}): Promise<StartResult> {
  const spec = await requireAppSpec(name);
  const state = await supervisorState(name);
  if (state.kind !== 'running') return startApp(name, options);
  const waitMs = replaceWaitMs(spec);
  await recordEvent(name, { type: 'restart', message: `${options.rolling ? 'rolling restart' : 'restart'} onto release ${spec.release}` });
  try {
    const result = await askApp<{ instances: InstanceStatus[] }>(name, { op: 'restart', rolling: options.rolling ?? false }, waitMs, options.signal);
    const ready = options.rolling
      ? result
      : await askApp<{ running: boolean; instances: InstanceStatus[] }>(name, { op: 'wait-running' }, waitMs, options.signal);
    return { app: name, hostPort: spec.hostPort, running: ready.instances.every((i) => i.state === 'running'), instances: ready.instances };
  } catch (error) {
    if (!isCancelled(error, options.signal)) throw error;
    if (!options.rolling) {
      // The old instances are gone already: the daemon keeps starting the new ones.
      throw cancelledError(`stopped waiting for '${name}' (Ctrl-C): its instances of release ${spec.release} go on starting`, `\`dropship ps ${name}\` shows them`, options.signal);
    }
    await askApp(name, { op: 'cancel' }, waitMs);
    throw cancelledError(`stopped the rolling restart of '${name}' (Ctrl-C): the instances not yet replaced keep running`, `\`dropship ps ${name}\` shows them`, options.signal);
  }
}

/**
 * `dropship scale APP [--process TYPE] [-i N] [-m M] [-k D]`: a new release with one process
 * type (default web) changed; while serving, a memory or disk change replaces its instances one by one.
 */
export async function scaleApp(name: string, options: { process?: string; instances?: number | string; memory?: number | string; disk?: number | string }): Promise<AppSummary> {
  const current = await requireAppSpec(name);
  // web, or the one process of an app `run` started with --process.
  const type = options.process ?? mainProcess(current).type;
  const change = {
    ...(options.instances !== undefined ? { instances: parseInstances(options.instances) } : {}),
    ...(options.memory !== undefined ? { memoryBytes: parseMemory(options.memory) } : {}),
    ...(options.disk !== undefined ? { diskBytes: parseDisk(options.disk) } : {}),
  };
  if (Object.keys(change).length === 0) {
    throw new DropshipError('INVALID_OPTION', 'scale: nothing to change', { hint: 'give -i INSTANCES, -m MEMORY or -k DISK' });
  }
  const process = findProcess(current, type);
  const next = { ...process, ...change };
  const running = (await supervisorState(name)).kind === 'running';
  await requireScaleFits({ name, processType: type, current: process, next, running });
  const words = Object.entries(change).map(([key, value]) => `${key} ${value}`).join(', ');
  const processes = current.processes.map((p) => (p.type === type ? { ...p, ...change } : p));
  // Before the release: the change asked for is history even if the instances fail to converge.
  await recordEvent(name, { type: 'scale', message: scaleEventText({ ...process, processType: type }, next) });
  await updateApp(name, { processes }, `scale ${type}: ${words}`);
  return appSummary(name);
}

/**
 * Make a new release of the app from its current one with `change` (another image after a push
 * or a rebase, new env or limits, a rollback) and, when the app runs, converge onto it without
 * downtime: instances are replaced one at a time, each new one healthy before an old one is
 * drained. A stopped app just gets the release. Name, id and host port are kept.
 */
export async function updateApp(name: string, change: Partial<ReleaseContent>, reason: string, wait: WaitOptions = {}): Promise<StartResult & { release: number }> {
  const current = await requireAppSpec(name);
  const { release: _release, ...base } = current;
  const next = await commitRelease({ ...base, ...change }, reason);
  if ((await supervisorState(name)).kind !== 'running') {
    return { app: name, hostPort: next.hostPort, running: false, instances: [], release: next.release };
  }
  const waitMs = replaceWaitMs(next, current);
  try {
    await askApp(name, { op: 'reload' }, waitMs, wait.signal);
    const ready = await askApp<{ running: boolean; instances: InstanceStatus[] }>(name, { op: 'wait-running' }, waitMs, wait.signal);
    return { app: name, hostPort: next.hostPort, ...ready, release: next.release };
  } catch (error) {
    if (!isCancelled(error, wait.signal)) throw error;
    // Ctrl-C: the app goes back on the release it ran; the daemon drops the half-done roll.
    await restoreRelease(current, next.release);
    await askApp(name, { op: 'cancel' }, waitMs);
    throw cancelledError(`stopped waiting for release ${next.release} of '${name}' (Ctrl-C): it is back on release ${current.release}, its instances as they were`, `\`dropship releases ${name}\` lists the releases`, wait.signal);
  }
}

/** `dropship delete APP`: stop, remove every container and network lease, the data path and host port, then the app's dir. */
export async function deleteApp(name: string): Promise<void> {
  await requireAppSpec(name);
  const state = await supervisorState(name);
  if (state.kind === 'running') await stopApp(name);
  await askApp(name, { op: 'forget' });
  await cleanupAppContainers(name);
  await rm(appPaths(name).dir, { recursive: true, force: true });
}

/** `dropship events APP`. */
export async function appEvents(name: string): Promise<AppEvent[]> {
  await requireAppSpec(name);
  return readEvents(name);
}
