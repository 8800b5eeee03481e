import { randomUUID } from 'node:crypto';
import { DropshipError } from '../errors.js';

export interface StagingEnvInput {
  appName: string;
  stack: string;
  memoryBytes: number;
  diskBytes?: number;
  /** The app's env (-e, manifest): the only thing in ENV_DIR. */
  userEnv: Record<string, string>;
  /** The platform's values for this host (npm registry, extra CAs): environment only, under the user's. */
  platformEnv?: Record<string, string>;
  services?: Record<string, unknown>;
  appId?: string;
}

export function memoryLimitValue(bytes: number): string {
  return `${Math.max(1, Math.floor(bytes / 1024 ** 2))}m`;
}

/**
 * The environment every buildpack step sees (the platform's side of the contract). User env
 * comes first so that it can set LANG or proxies, but cannot fake the platform's own variables.
 * `CF_STACK` for Cloud Foundry buildpacks and `STACK` for Heroku ones both name the stack.
 */
export function buildpackEnv(input: StagingEnvInput): Record<string, string> {
  const memoryMb = Math.max(1, Math.floor(input.memoryBytes / 1024 ** 2));
  const vcapApplication = {
    application_id: input.appId ?? randomUUID(),
    application_name: input.appName,
    name: input.appName,
    application_uris: [] as string[],
    uris: [] as string[],
    space_name: 'dropship',
    limits: { mem: memoryMb, disk: input.diskBytes ? Math.floor(input.diskBytes / 1024 ** 2) : 1024, fds: 16384 },
  };
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/home/vcap',
    USER: 'vcap',
    TMPDIR: '/tmp',
    LANG: 'en_US.UTF-8',
    ...input.platformEnv,
    ...input.userEnv,
    CF_STACK: input.stack,
    STACK: input.stack,
    MEMORY_LIMIT: memoryLimitValue(input.memoryBytes),
    VCAP_APPLICATION: JSON.stringify(vcapApplication),
    VCAP_SERVICES: JSON.stringify(input.services ?? {}),
  };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A name a POSIX shell can export: user env, env-dir files and config_vars all must be one. */
export function isEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}

/** `-e K=V` values into a map; the value may contain '=' and be empty. */
export function parseEnvAssignments(values: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const name = eq < 0 ? value : value.slice(0, eq);
    if (eq < 0 || !isEnvName(name)) {
      throw new DropshipError('INVALID_ENV', `--env: '${value}' is not NAME=VALUE`, {
        hint: 'write -e NAME=value; names use letters, digits and underscores',
      });
    }
    env[name] = value.slice(eq + 1);
  }
  return env;
}
