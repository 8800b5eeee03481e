import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { DropshipError } from '../errors.js';
import { containedPath, type Containment } from '../util/contained-path.js';
import { checkName } from '../util/names.js';
import type { HealthCheckKind, Manifest, ManifestApp, ManifestProcess } from './manifest.js';
import { parseVarFlags, readVarsFile, type ManifestVars } from './manifest-vars.js';
import { isPlatformEnvName, parseDisk, parseMemory, RUN_DEFAULTS } from '../apps/index.js';
import { isEnvName } from '../staging/env.js';
import { DEFAULT_STACK } from '../stack/index.js';

/** `dropship push` flags as the CLI received them (strings, before any validation). */
export interface PushFlags {
  path?: string;
  name?: string;
  manifest?: string;
  noManifest?: boolean;
  buildpacks?: string[];
  stack?: string;
  command?: string;
  instances?: string;
  memory?: string;
  disk?: string;
  env?: string[];
  hostPort?: string;
  healthCheckType?: string;
  endpoint?: string;
  timeout?: string;
  noStart?: boolean;
  strategy?: string;
  /** `--var K=V`, filling `((K))` in the manifest; they win over `varsFiles`. */
  vars?: string[];
  /** `--vars-file FILE` (repeatable; a later file wins). */
  varsFiles?: string[];
}

/** One app to push, every value decided: flags over manifest over defaults. */
export interface PushPlan {
  name: string;
  path: string;
  /** Set when `path` came from the app's own manifest: where it must still lead when it is read. */
  pathWithin?: Containment;
  /** Empty: detect among the built-in and registered buildpacks. */
  buildpacks: string[];
  /** The manifest that named `buildpacks` (not the operator's -b): their URLs may not reach private addresses. */
  buildpacksFrom?: string;
  stack: string;
  command?: string;
  /** Unset: an existing app keeps its instance count (a new one gets 1), as `cf push` does. */
  instances?: number;
  memoryBytes: number;
  diskBytes: number;
  env: Record<string, string>;
  hostPort?: number;
  healthCheck: { type: HealthCheckKind; endpoint: string; timeoutSeconds: number };
  /** The manifest's settings of process types other than web (processes of this app, as every type of the Procfile). */
  processes: ManifestProcess[];
  noStart: boolean;
  strategy: 'replace' | 'rolling';
}

/** `run`'s defaults, on the full stack. */
export const PUSH_DEFAULTS = {
  stack: DEFAULT_STACK,
  memoryBytes: parseMemory(RUN_DEFAULTS.memory),
  diskBytes: parseDisk(RUN_DEFAULTS.disk),
  healthCheckType: RUN_DEFAULTS.healthCheckType as HealthCheckKind,
  endpoint: RUN_DEFAULTS.endpoint,
  timeoutSeconds: RUN_DEFAULTS.timeout,
};

/** Flags that describe one app; with several manifest apps they would be ambiguous. */
const PER_APP_FLAGS: Array<keyof PushFlags> = ['buildpacks', 'stack', 'command', 'instances', 'memory', 'disk', 'env',
  'hostPort', 'healthCheckType', 'endpoint', 'timeout'];

function invalid(flag: string, value: string, expected: string, hint: string): DropshipError {
  return new DropshipError('INVALID_OPTION', `${flag}: '${value}' is not ${expected}`, { hint });
}

function wholeNumber(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw invalid(flag, value, `a whole number${min > 0 ? ` from ${min}` : ''}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`, `for example ${flag} ${min > 0 ? min : 2}`);
  }
  return Number(value);
}

function healthType(flag: string, value: string): HealthCheckKind {
  const type = value === 'none' ? 'process' : value;
  if (type !== 'port' && type !== 'http' && type !== 'process') {
    throw invalid(flag, value, 'port, http or process', 'port checks a TCP connect to $PORT, http a 200 from --endpoint, process that it runs');
  }
  return type;
}

function parseEnvFlags(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq) : '';
    if (!isEnvName(key)) {
      throw invalid('-e', pair, 'KEY=VALUE', 'KEY is a shell variable name: letters, digits and _, like -e GREETING=hello');
    }
    if (isPlatformEnvName(key)) {
      throw invalid('-e', pair, 'a name the app may set', 'the platform sets PORT, MEMORY_LIMIT, INSTANCE_*, CF_INSTANCE_* and VCAP_* for every instance: choose another name');
    }
    env[key] = pair.slice(eq + 1);
  }
  return env;
}

/** The values for the manifest's `((vars))`: vars files in order, then `--var` over them. */
export async function manifestVars(flags: PushFlags): Promise<ManifestVars> {
  const vars: ManifestVars = {};
  for (const file of flags.varsFiles ?? []) Object.assign(vars, await readVarsFile(file));
  return Object.assign(vars, parseVarFlags(flags.vars ?? []));
}

/** Which manifest applies: -f, else manifest.yml beside the app (or in the current directory). */
export function manifestPathFor(flags: PushFlags, cwd = process.cwd()): string | undefined {
  if (flags.noManifest) return undefined;
  if (flags.manifest) return resolve(cwd, flags.manifest);
  const dir = resolve(cwd, flags.path ?? '.');
  for (const candidate of [join(dir, 'manifest.yml'), join(dir, 'manifest.yaml')]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function appDir(path: string, from: string): string {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    throw new DropshipError('APP_PATH_NOT_FOUND', `app path ${path} does not exist${from}`, {
      hint: 'give the directory of the app: dropship push ./my-app',
    });
  }
  if (!stats.isDirectory()) {
    throw new DropshipError('APP_PATH_NOT_DIRECTORY', `app path ${path} is not a directory${from}`, {
      hint: 'give the directory that holds the app source',
    });
  }
  return path;
}

/**
 * Turn flags and an optional manifest into one plan per app to push. With a manifest of several
 * apps, `--name` picks one; per-app flags need exactly one app, like `cf push`.
 */
export function planPush(flags: PushFlags, manifest?: Manifest, cwd = process.cwd()): PushPlan[] {
  if (flags.name !== undefined) checkName(flags.name, { source: '--name' });
  let apps: Array<ManifestApp | undefined> = manifest ? manifest.applications : [undefined];
  if (manifest && flags.name) {
    const picked = manifest.applications.find((a) => a.name === flags.name);
    if (picked) apps = [picked];
    else if (manifest.applications.length > 1) {
      throw new DropshipError('APP_NOT_IN_MANIFEST', `app '${flags.name}' is not in ${manifest.file}`, {
        hint: `the manifest has: ${manifest.applications.map((a) => a.name).join(', ')}`,
      });
    }
  }
  if (apps.length > 1) {
    const used = PER_APP_FLAGS.filter((f) => {
      const v = flags[f];
      return Array.isArray(v) ? v.length > 0 : v !== undefined;
    });
    if (used.length > 0) {
      throw new DropshipError('FLAGS_WITH_MANY_APPS', `flags for one app (${used.join(', ')}) cannot apply to the ${apps.length} apps of ${manifest!.file}`, {
        hint: 'add --name APP to push one of them, or put the values in the manifest',
      });
    }
  }
  const flagEnv = parseEnvFlags(flags.env ?? []);
  const strategy = flags.strategy === undefined || flags.strategy === 'replace' ? 'replace' : flags.strategy;
  if (strategy !== 'replace' && strategy !== 'rolling') {
    throw invalid('--strategy', strategy, 'rolling', 'omit --strategy to stop the old instances first, or use --strategy rolling');
  }
  return apps.map((app) => {
    const pathFrom = flags.path ? resolve(cwd, flags.path) : undefined;
    // A manifest found beside the app is the app's own file; one given with -f is the operator's.
    const within = !pathFrom && app?.path && !flags.manifest
      ? { root: resolve(manifest!.file, '..'), source: `${manifest!.file}:${app.line}: applications[${manifest!.applications.indexOf(app)}] (${app.name}).path` }
      : undefined;
    const manifestPath = within ? containedPath(app!.path!, within.root, within.source) : app?.path;
    const path = appDir(pathFrom ?? manifestPath ?? (manifest ? resolve(manifest.file, '..') : resolve(cwd)),
      app && !pathFrom && app.path ? ` (path of ${app.name} in ${manifest!.file})` : '');
    const web = app?.processes?.find((p) => p.type === 'web');
    const name = (apps.length === 1 ? flags.name : undefined) ?? app?.name ?? checkName(basename(path), { source: `the app directory's name (${path})`, hint: 'give one with --name' });
    const checkType = flags.healthCheckType ? healthType('--health-check-type', flags.healthCheckType) : web?.healthCheckType ?? app?.healthCheckType;
    return {
      name,
      path,
      ...(within ? { pathWithin: within } : {}),
      buildpacks: flags.buildpacks?.length ? flags.buildpacks : app?.buildpacks ?? [],
      ...(!flags.buildpacks?.length && app?.buildpacks?.length ? { buildpacksFrom: manifest!.file } : {}),
      stack: flags.stack ?? app?.stack ?? PUSH_DEFAULTS.stack,
      command: flags.command ?? web?.command ?? app?.command,
      instances: flags.instances !== undefined ? wholeNumber('-i', flags.instances, 0, 64) : web?.instances ?? app?.instances,
      memoryBytes: flags.memory !== undefined ? parseMemory(flags.memory, '-m') : web?.memoryBytes ?? app?.memoryBytes ?? PUSH_DEFAULTS.memoryBytes,
      diskBytes: flags.disk !== undefined ? parseDisk(flags.disk, '-k') : web?.diskBytes ?? app?.diskBytes ?? PUSH_DEFAULTS.diskBytes,
      env: { ...app?.env, ...flagEnv },
      hostPort: flags.hostPort !== undefined ? wholeNumber('--host-port', flags.hostPort, 1, 65535) : undefined,
      healthCheck: {
        type: checkType ?? PUSH_DEFAULTS.healthCheckType,
        endpoint: flags.endpoint ?? web?.healthCheckHttpEndpoint ?? app?.healthCheckHttpEndpoint ?? PUSH_DEFAULTS.endpoint,
        timeoutSeconds: flags.timeout !== undefined ? wholeNumber('-t', flags.timeout, 1) : web?.timeoutSeconds ?? app?.timeoutSeconds ?? PUSH_DEFAULTS.timeoutSeconds,
      },
      processes: (app?.processes ?? []).filter((p) => p.type !== 'web'),
      noStart: flags.noStart ?? false,
      strategy,
    };
  });
}
