import type { PushPhase, PushSummary } from './push.js';
import { push, pushSucceeded } from './push.js';
import { readManifest } from './manifest.js';
import { manifestPathFor, manifestVars, planPush, type PushFlags, type PushPlan } from './push-options.js';
import { realPushSeams } from './push-seams.js';
import { parseDuration } from '../util/units.js';

/** `dropship push` for library users: the CLI's options, typed, with env as a record. */
export interface PushAppOptions {
  /** The app directory (default: the manifest's paths, or the current directory). */
  path?: string;
  name?: string;
  /** A manifest.yml to read; false ignores the one beside the app. */
  manifest?: string | false;
  /** Values for `((vars))` in the manifest. */
  vars?: Record<string, string | number | boolean>;
  buildpacks?: string[];
  stack?: string;
  command?: string;
  instances?: number;
  /** `256M`, `1G`, or a number of megabytes written as text (`'256'`), as on the command line. */
  memory?: string;
  disk?: string;
  env?: Record<string, string>;
  hostPort?: number;
  healthCheckType?: 'port' | 'http' | 'process';
  endpoint?: string;
  /** Start timeout: `60s`, `2m`, or a number of seconds, as every duration. */
  timeout?: string | number;
  noStart?: boolean;
  strategy?: 'replace' | 'rolling';
  onPhase?: (phase: PushPhase) => void;
  onLog?: (line: string) => void;
  signal?: AbortSignal;
}

/** The summary of each app pushed, and whether every requested instance became healthy. */
export interface PushAppResult extends PushSummary {
  healthy: boolean;
}

/** The plan counts its start timeout in whole seconds. */
function seconds(timeout: string | number | undefined): string | undefined {
  return timeout === undefined ? undefined : String(Math.ceil(parseDuration(timeout, 'timeout') / 1000));
}

/** The plan of each app a push names: the manifest found for `flags` (its `((vars))` filled), then the flags over it. */
export async function planPushes(flags: PushFlags): Promise<PushPlan[]> {
  const manifestPath = manifestPathFor(flags);
  const manifest = manifestPath ? await readManifest(manifestPath, await manifestVars(flags)) : undefined;
  return planPush(flags, manifest);
}

/** Source to a running app (or apps, with a multi-app manifest), as `dropship push` does it. */
export async function pushApp(options: PushAppOptions = {}): Promise<PushAppResult[]> {
  const flags: PushFlags = {
    path: options.path,
    name: options.name,
    manifest: options.manifest || undefined,
    noManifest: options.manifest === false,
    buildpacks: options.buildpacks,
    stack: options.stack,
    command: options.command,
    instances: options.instances === undefined ? undefined : String(options.instances),
    memory: options.memory,
    disk: options.disk,
    env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
    hostPort: options.hostPort === undefined ? undefined : String(options.hostPort),
    healthCheckType: options.healthCheckType,
    endpoint: options.endpoint,
    timeout: seconds(options.timeout),
    noStart: options.noStart,
    strategy: options.strategy,
    vars: Object.entries(options.vars ?? {}).map(([k, v]) => `${k}=${v}`),
  };
  const seams = realPushSeams();
  const results: PushAppResult[] = [];
  for (const plan of await planPushes(flags)) {
    const summary = await push(plan, seams, { onPhase: options.onPhase, onLog: options.onLog, signal: options.signal });
    results.push({ ...summary, healthy: pushSucceeded(summary, plan) });
  }
  return results;
}
