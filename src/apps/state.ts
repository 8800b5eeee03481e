import { appendFile, mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { checkName, isValidName } from '../util/names.js';

/** How an instance is judged healthy: a TCP connect, an HTTP 200, or just being alive. */
export type HealthCheckType = 'port' | 'http' | 'process';

export interface HealthCheck {
  type: HealthCheckType;
  endpoint: string;
  startTimeoutMs: number;
}

/**
 * One process type of an app (Cloud Foundry v3's process): `web` and every other type of the
 * image's Procfile. Each has its own instances, limits, command and health check; they share the
 * app's image, env and services.
 */
export interface ProcessSpec {
  type: string;
  instances: number;
  memoryBytes: number;
  diskBytes: number;
  healthCheck: HealthCheck;
  /** Replaces the image's Cmd, run through its launcher; web without one runs the image's start command. */
  command?: string;
}

/**
 * What every instance of a release is made from. The image is pinned by digest: a tag that moves
 * later (a push, a rebase) changes nothing until a new release names the new digest.
 */
export interface ReleaseContent {
  /** The image's name when the release was made (for people); instances never start from it. */
  image: string;
  /** The image manifest's digest: what every instance of this release runs. */
  imageDigest: string;
  /**
   * The stack the image sits on and that stack's build (the diff_id of its bottom layer), read
   * from the image when the release was made, so `ps` can tell an outdated build without
   * opening images. Null: the image names no stack. Absent: a release from before it was recorded.
   */
  stack?: ReleaseStack | null;
  /** Every process type of the app, web first. */
  processes: ProcessSpec[];
  /**
   * The buildpacks that staged the image (`name version`), as push and restage record them;
   * absent for an image run as it is, or a release from before they were recorded.
   */
  buildpacks?: string[];
  env: Record<string, string>;
  services: Record<string, unknown>;
  /** The port the app listens on in its container (PORT). */
  containerPort: number;
  stopTimeoutMs: number;
}

export interface ReleaseStack {
  name: string;
  build: string;
}

/** The desired state of an app: who it is (kept for its life) and its current release. */
export interface AppSpec extends ReleaseContent {
  name: string;
  /** A guid, stable for the app's life (VCAP_APPLICATION.application_id). */
  id: string;
  /** Where the app's router listens on the host. */
  hostPort: number;
  createdAt: string;
  /** The number of the current release (releases/N.json). */
  release: number;
}

/**
 * One process type as its instances are made: the app's shared fields with the process's own
 * (what the daemon's supervisor of that process type runs).
 */
export interface ProcessView extends Omit<AppSpec, 'processes'>, Omit<ProcessSpec, 'type'> {
  processType: string;
  /** Whether the app's host port forwards to this process (web only). */
  routed: boolean;
}

/**
 * The process type behind the app's host port: web, or the only process of an app that has no
 * web (one started with `dropship run --process TYPE`).
 */
export function routedType(spec: Pick<ReleaseContent, 'processes'>): string | undefined {
  if (spec.processes.some((p) => p.type === 'web')) return 'web';
  return spec.processes.length === 1 ? spec.processes[0]!.type : undefined;
}

/** The process type of an instance: a status written before process types names none, and was the app's one process. */
export function instanceProcess(spec: Pick<ReleaseContent, 'processes'>, instance: Pick<InstanceStatus, 'process'>): string {
  return instance.process ?? spec.processes[0]!.type;
}

/** The routed process, else the first: whose limits `run-task` and `ssh` default to. */
export function mainProcess(spec: Pick<ReleaseContent, 'processes'>): ProcessSpec {
  const routed = routedType(spec);
  return spec.processes.find((p) => p.type === routed) ?? spec.processes[0]!;
}

export function findProcess(spec: Pick<AppSpec, 'name' | 'processes'>, type: string): ProcessSpec {
  const process = spec.processes.find((p) => p.type === type);
  if (!process) {
    throw new DropshipError('PROCESS_NOT_FOUND', `app '${spec.name}' has no process type '${type}'`, {
      hint: `its process types: ${spec.processes.map((p) => p.type).join(', ')} (from the Procfile or the manifest's processes)`,
    });
  }
  return process;
}

export function processView(spec: AppSpec, type: string): ProcessView {
  const { processes: _processes, ...app } = spec;
  const { type: processType, ...process } = findProcess(spec, type);
  return { ...app, ...process, processType, routed: routedType(spec) === processType };
}

/** The fields an app.json or release file had before process types belonged to one app. */
interface SingleProcessFields {
  processType?: string;
  instances?: number;
  memoryBytes?: number;
  diskBytes?: number;
  healthCheck?: HealthCheck;
  command?: string;
}

/**
 * Read an app.json or release file of either layout: one written before process types belonged
 * to one app had one process's fields at the top; they become its one process, so such an app
 * runs on exactly as it did.
 */
export function upgradeContent<T extends Partial<ReleaseContent>>(raw: T & SingleProcessFields): T & { processes: ProcessSpec[] } {
  if (Array.isArray(raw.processes)) return raw as T & { processes: ProcessSpec[] };
  const { processType, instances, memoryBytes, diskBytes, healthCheck, command, ...rest } = raw;
  const process: ProcessSpec = {
    type: processType ?? 'web',
    instances: instances ?? 1,
    memoryBytes: memoryBytes ?? 0,
    diskBytes: diskBytes ?? 0,
    healthCheck: healthCheck ?? { type: 'port', endpoint: '/', startTimeoutMs: 60_000 },
    ...(command === undefined ? {} : { command }),
  };
  return { ...(rest as unknown as T), processes: [process] };
}

export type InstanceState = 'starting' | 'running' | 'crashed' | 'stopping' | 'down';

export interface InstanceStatus {
  /** The process type (web, worker, …); absent in a status written before process types. */
  process?: string;
  index: number;
  guid: string;
  state: InstanceState;
  restarts: number;
  crashCount: number;
  lastExit?: string;
  /** When the instance entered its current state (ISO). */
  since: string;
  containerId?: string;
  ip?: string;
  /** Host pid of the container's init. */
  pid?: number;
  memoryBytes?: number;
  /** CPU time its processes used (cpuacct.usage), in nanoseconds. */
  cpuNanos?: number;
  /** Bytes in use on its quota disk. */
  diskUsedBytes?: number;
  /** The release this instance was started from, and the image digest it runs. */
  release?: number;
  imageDigest?: string;
}

export interface SupervisorRecord {
  pid: number;
  startedAt: string;
}

export interface AppEvent {
  time: string;
  type: string;
  message: string;
  instance?: number;
}

/** Container labels naming the app, process type and instance, so a dead daemon's containers can be found. */
export const APP_LABEL = 'dropship.app';
export const PROCESS_LABEL = 'dropship.process';
export const INSTANCE_LABEL = 'dropship.instance';

export function validateAppName(name: string, source?: string): string {
  return checkName(name, { source });
}

export interface AppPaths {
  dir: string;
  spec: string;
  releases: string;
  status: string;
  supervisor: string;
  socket: string;
  events: string;
  logs: string;
  supervisorLog: string;
}

export function appsRoot(): string {
  return homePaths().apps;
}

export function appPaths(name: string): AppPaths {
  const dir = join(appsRoot(), validateAppName(name));
  return {
    dir,
    spec: join(dir, 'app.json'),
    releases: join(dir, 'releases'),
    status: join(dir, 'status.json'),
    supervisor: join(dir, 'supervisor.json'),
    socket: join(dir, 'control.sock'),
    events: join(dir, 'events.jsonl'),
    logs: join(dir, 'logs'),
    supervisorLog: join(dir, 'supervisor.log'),
  };
}

/** App dirs hold logs and the control socket: root only, so no other user can read or steer an app. */
export async function ensureAppDir(name: string): Promise<AppPaths> {
  const paths = appPaths(name);
  await mkdir(appsRoot(), { recursive: true, mode: 0o700 });
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await mkdir(paths.logs, { recursive: true, mode: 0o700 });
  await mkdir(paths.releases, { recursive: true, mode: 0o700 });
  return paths;
}

export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DropshipError('BAD_APP_STATE', `cannot read ${path}: ${(error as Error).message}`, {
      hint: 'the app state is damaged; `dropship delete APP` removes it',
      cause: error,
    });
  }
}

export async function readAppSpec(name: string): Promise<AppSpec | undefined> {
  const raw = await readJson<AppSpec>(appPaths(name).spec);
  return raw && upgradeContent(raw);
}

export async function requireAppSpec(name: string): Promise<AppSpec> {
  const spec = await readAppSpec(name);
  if (!spec) {
    throw new DropshipError('APP_NOT_FOUND', `no app named '${name}'`, {
      hint: 'start one with `dropship run IMAGE --name APP`; `dropship apps` lists the apps',
    });
  }
  return spec;
}

export async function writeAppSpec(spec: AppSpec): Promise<void> {
  await writeJsonAtomic(appPaths(spec.name).spec, spec, { mode: 0o600 });
}

export async function readInstanceStatus(name: string): Promise<InstanceStatus[]> {
  return (await readJson<InstanceStatus[]>(appPaths(name).status)) ?? [];
}

export async function writeInstanceStatus(name: string, status: InstanceStatus[]): Promise<void> {
  await writeJsonAtomic(appPaths(name).status, status, { mode: 0o600 });
}

export async function readSupervisorRecord(name: string): Promise<SupervisorRecord | undefined> {
  return readJson<SupervisorRecord>(appPaths(name).supervisor);
}

export async function writeSupervisorRecord(name: string, record: SupervisorRecord): Promise<void> {
  await writeJsonAtomic(appPaths(name).supervisor, record, { mode: 0o600 });
}

export async function recordEvent(name: string, event: Omit<AppEvent, 'time'>): Promise<void> {
  const line = JSON.stringify({ time: new Date().toISOString(), ...event }) + '\n';
  await appendFile(appPaths(name).events, line, { mode: 0o600 });
}

export async function readEvents(name: string): Promise<AppEvent[]> {
  const text = await readFile(appPaths(name).events, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AppEvent);
}

export async function listAppNames(): Promise<string[]> {
  const entries = await readdir(appsRoot(), { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && isValidName(e.name)).map((e) => e.name).sort();
}

export { processAlive } from '../util/lock.js';
