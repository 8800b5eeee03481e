import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DropshipError } from '../errors.js';
import { parseDuration, parseQuota } from '../util/units.js';
import { parseUserEnv } from './env.js';
import { validateAppName, type AppSpec, type HealthCheckType, type ProcessSpec } from './state.js';

/** One process type's settings, as push hands them over (unset: the defaults for its type). */
export interface ProcessOptions {
  type: string;
  instances?: number | string;
  memory?: number | string;
  disk?: number | string;
  command?: string;
  healthCheckType?: string;
  endpoint?: string;
  /** Start timeout; a bare number is seconds. */
  timeout?: number | string;
}

/**
 * `dropship run` as the CLI hands it over: strings as typed. The process fields at the top
 * describe the app's one process (`processType`, default web), unless `processes` lists them all.
 */
export interface RunOptions extends Omit<ProcessOptions, 'type'> {
  image: string;
  name: string;
  /** Every process type of the app, web first (push: each type of the image's Procfile). */
  processes?: ProcessOptions[];
  /** A record, as everywhere in the library; the CLI hands over its `-e K=V` strings. */
  env?: Record<string, string> | string[];
  /** A JSON file holding VCAP_SERVICES (an object keyed by service label). */
  servicesFile?: string;
  /** `HOSTPORT[:CONTAINERPORT]`. */
  port?: string;
  processType?: string;
  /** SIGTERM → SIGKILL grace; a bare number is seconds. */
  stopTimeout?: number | string;
  /** The buildpacks that staged the image (push): recorded in the release for `dropship app`. */
  buildpacks?: string[];
}

export const DEFAULTS = {
  instances: 1,
  memory: '256M',
  disk: '1G',
  healthCheckType: 'port' as HealthCheckType,
  endpoint: '/',
  timeout: 60,
  processType: 'web',
  stopTimeout: 10,
};

function invalid(option: string, value: unknown, hint: string): DropshipError {
  return new DropshipError('INVALID_OPTION', `${option}: '${String(value)}' is not valid`, { hint });
}

export function parseInstances(value: number | string, option = '--instances'): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw invalid(option, value, 'give a whole number of instances between 0 and 1000');
  return n;
}

/** Memory as push, run, scale and run-task take it: one parser (a bare number is megabytes). */
export function parseMemory(value: number | string, option = '-m'): number {
  return parseQuota(value, option);
}

/** Disk, the same way (`-k`). */
export function parseDisk(value: number | string, option = '-k'): number {
  return parseQuota(value, option);
}

/** `HOSTPORT[:CONTAINERPORT]`; a missing or 0 host port means "pick one". */
export function parsePort(value: string): { host?: number; container?: number } {
  const match = /^(\d{0,5})(?::(\d{1,5}))?$/.exec(value.trim());
  const host = match?.[1] ? Number(match[1]) : 0;
  const container = match?.[2] ? Number(match[2]) : undefined;
  if (!match || host > 65535 || (container !== undefined && (container < 1 || container > 65535))) {
    throw invalid('-p', value, 'write -p HOSTPORT[:CONTAINERPORT], e.g. -p 8000 or -p 8000:8080');
  }
  return { ...(host ? { host } : {}), ...(container ? { container } : {}) };
}

async function readServices(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new DropshipError('SERVICES_FILE', `--services ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'give the path of a JSON file with VCAP_SERVICES, e.g. {"p-mysql":[{"name":"db","credentials":{...}}]}',
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DropshipError('SERVICES_FILE', `--services ${file}: not valid JSON (${(error as Error).message})`, {
      hint: 'VCAP_SERVICES is a JSON object keyed by service label',
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DropshipError('SERVICES_FILE', `--services ${file}: expected a JSON object keyed by service label`, {
      hint: 'write {"LABEL": [{"name": "...", "credentials": {...}}]}',
    });
  }
  return parsed as Record<string, unknown>;
}

/**
 * One process type's settings, validated. Its defaults are Cloud Foundry's: `web` (and the one
 * process of `run`) start one instance with a port check; any other type none, with a process check.
 */
export function normalizeProcess(options: ProcessOptions, single = false): ProcessSpec {
  const main = single || options.type === 'web';
  const type = options.healthCheckType ?? (main ? DEFAULTS.healthCheckType : 'process');
  if (type !== 'port' && type !== 'http' && type !== 'process') {
    throw invalid('--health-check-type', type, 'use port (TCP connect, the default), http (GET --endpoint, 200 only) or process');
  }
  const startTimeoutMs = parseDuration(options.timeout ?? DEFAULTS.timeout, '--timeout');
  if (startTimeoutMs < 1000) throw invalid('--timeout', options.timeout, 'give at least 1 second');
  const endpoint = options.endpoint ?? DEFAULTS.endpoint;
  if (!endpoint.startsWith('/')) throw invalid('--endpoint', endpoint, 'give a path starting with /, e.g. /health');
  if (!/^[a-z][a-z0-9_-]*$/i.test(options.type)) throw invalid('--process', options.type, 'use a process type name such as web or worker');
  if (options.command !== undefined && !options.command.trim()) throw invalid('--command', options.command, 'give the start command');
  return {
    type: options.type,
    instances: parseInstances(options.instances ?? (main ? DEFAULTS.instances : 0)),
    memoryBytes: parseMemory(options.memory ?? DEFAULTS.memory),
    diskBytes: parseDisk(options.disk ?? DEFAULTS.disk),
    healthCheck: { type, endpoint, startTimeoutMs },
    ...(options.command === undefined ? {} : { command: options.command }),
  };
}

/** How long to wait for the first verdict on every instance: the slowest start timeout, and room to spare. */
export function startWaitMs(spec: Pick<AppSpec, 'processes'>): number {
  return Math.max(...spec.processes.map((p) => p.healthCheck.startTimeoutMs)) + 120_000;
}

/** How long to wait for every instance to stop: a second each, the stop timeout, and room to spare. */
export function stopWaitMs(spec: Pick<AppSpec, 'processes' | 'stopTimeoutMs'>): number {
  return spec.processes.reduce((n, p) => n + p.instances, 0) * 1000 + spec.stopTimeoutMs + 60_000;
}

/** Run options checked and in the shape the app's state keeps them: plain JSON, so the daemon can be handed them as they are. */
export type NormalizedRunOptions = Omit<AppSpec, 'hostPort' | 'containerPort' | 'imageDigest' | 'release'> & { port: { host?: number; container?: number } };

/**
 * Turn `run` options into the app's spec, validated once; host port, container port and the
 * image digest are filled in later (they depend on the store and the image).
 */
export async function normalizeRunOptions(options: RunOptions): Promise<NormalizedRunOptions> {
  const processes = options.processes
    ? options.processes.map((p) => normalizeProcess(p))
    : [normalizeProcess({ ...options, type: options.processType ?? DEFAULTS.processType }, true)];
  const types = processes.map((p) => p.type);
  const twice = types.find((t, i) => types.indexOf(t) !== i);
  if (twice !== undefined) throw invalid('processes', twice, 'name each process type once');
  return {
    name: validateAppName(options.name, '--name'),
    id: randomUUID(),
    image: options.image,
    processes,
    ...(options.buildpacks === undefined ? {} : { buildpacks: [...options.buildpacks] }),
    env: parseUserEnv(Array.isArray(options.env) ? options.env : Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`)),
    services: options.servicesFile ? await readServices(options.servicesFile) : {},
    stopTimeoutMs: parseDuration(options.stopTimeout ?? DEFAULTS.stopTimeout, '--stop-timeout'),
    createdAt: new Date().toISOString(),
    port: options.port ? parsePort(options.port) : {},
  };
}
