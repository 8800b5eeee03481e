import { DropshipError } from '../errors.js';
import { isEnvName } from '../staging/env.js';
import { isPlatformEnvName } from './env.js';
import { commitRelease } from './releases.js';
import { requireAppSpec, type AppSpec } from './state.js';

/** What `set-env`/`unset-env` did: the new release, and whether anything changed. */
export interface EnvChange {
  app: string;
  release: number;
  changed: boolean;
}

function checkName(app: string, key: string): void {
  if (!isEnvName(key)) {
    throw new DropshipError('INVALID_ENV', `set-env ${app}: '${key}' is not a shell variable name`, {
      hint: 'use letters, digits and _, not starting with a digit, e.g. LOG_LEVEL',
    });
  }
  if (isPlatformEnvName(key)) {
    throw new DropshipError('RESERVED_ENV', `set-env ${app}: ${key} is set by the platform for every instance`, {
      hint: 'choose another name; the platform sets PORT, MEMORY_LIMIT, INSTANCE_*, CF_INSTANCE_* and VCAP_*',
    });
  }
}

/** `dropship env APP`: the variables the user gave the app (what set-env and push -e set). */
export async function appEnv(name: string): Promise<Record<string, string>> {
  return { ...(await requireAppSpec(name)).env };
}

async function release(spec: AppSpec, env: Record<string, string>, reason: string): Promise<EnvChange> {
  const { release: _release, ...base } = spec;
  // Like cf, a change is a new release that running instances pick up on `restart`: nothing restarts behind the user's back.
  const next = await commitRelease({ ...base, env }, reason);
  return { app: spec.name, release: next.release, changed: true };
}

/** `dropship set-env APP K V`: a new release with K=V. */
export async function setAppEnv(name: string, key: string, value: string): Promise<EnvChange> {
  checkName(name, key);
  const spec = await requireAppSpec(name);
  if (spec.env[key] === value) return { app: name, release: spec.release, changed: false };
  return release(spec, { ...spec.env, [key]: value }, `set-env ${key}`);
}

/** `dropship unset-env APP K`: a new release without K (none when K was not set). */
export async function unsetAppEnv(name: string, key: string): Promise<EnvChange> {
  const spec = await requireAppSpec(name);
  if (!(key in spec.env)) return { app: name, release: spec.release, changed: false };
  const { [key]: _removed, ...env } = spec.env;
  return release(spec, env, `unset-env ${key}`);
}
