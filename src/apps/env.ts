import { DropshipError } from '../errors.js';
import { isEnvName } from '../staging/env.js';

/** What the platform knows about one instance when it builds the instance's environment. */
export interface InstanceEnvInput {
  appName: string;
  appId: string;
  processType: string;
  instanceIndex: number;
  instanceGuid: string;
  /** The port the app must listen on inside its container. */
  port: number;
  /** The instance's own address (its veth). */
  ip: string;
  /** The app's host port, where the router listens. */
  hostPort?: number;
  memoryBytes: number;
  diskBytes: number;
  fds: number;
  uris?: string[];
  /** Parsed `--services FILE.json`: keyed by service label, as Cloud Foundry's VCAP_SERVICES. */
  services?: Record<string, unknown>;
  /** Env from the image config (`KEY=VALUE` list, as OCI writes it). */
  imageEnv?: string[];
  /** `-e KEY=VALUE` from the user. */
  userEnv?: Record<string, string>;
  /** When the instance started (VCAP_APPLICATION.start). */
  startedAt?: Date;
}

/** Names the platform sets for every instance; a user value would lie to the app, so it is refused. */
const RESERVED = /^(PORT|VCAP_APP_PORT|VCAP_APP_HOST|VCAP_APPLICATION|VCAP_SERVICES|MEMORY_LIMIT|INSTANCE_INDEX|INSTANCE_GUID|CF_INSTANCE_[A-Z_]+)$/;

/** Whether the platform owns `name` in every instance's env (push, run and manifests refuse it). */
export function isPlatformEnvName(name: string): boolean {
  return RESERVED.test(name);
}

/** Turn `-e K=V` options into a map, refusing malformed and platform-owned names. */
export function parseUserEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq) : '';
    if (!isEnvName(key)) {
      throw new DropshipError('INVALID_ENV', `-e '${pair}': expected KEY=VALUE with KEY a shell variable name`, {
        hint: 'write -e NAME=value, e.g. -e LOG_LEVEL=debug',
      });
    }
    if (RESERVED.test(key)) {
      throw new DropshipError('RESERVED_ENV', `-e ${key}: ${key} is set by the platform for every instance`, {
        hint: 'choose another name; the platform sets PORT, MEMORY_LIMIT, INSTANCE_*, CF_INSTANCE_* and VCAP_*',
      });
    }
    env[key] = pair.slice(eq + 1);
  }
  return env;
}

const MiB = 1024 * 1024;

/**
 * The instance environment of DESIGN.md. Precedence: image env, then user env, then the
 * platform's own variables (which user env cannot name, see parseUserEnv).
 */
export function instanceEnv(input: InstanceEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of input.imageEnv ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  Object.assign(env, input.userEnv ?? {});

  const memMb = Math.floor(input.memoryBytes / MiB);
  const diskMb = Math.floor(input.diskBytes / MiB);
  const uris = input.uris ?? [];
  const externalPort = input.hostPort ?? input.port;
  const vcapApplication = {
    application_id: input.appId,
    application_name: input.appName,
    application_uris: uris,
    application_version: input.appId,
    host: '0.0.0.0',
    instance_id: input.instanceGuid,
    instance_index: input.instanceIndex,
    limits: { mem: memMb, disk: diskMb, fds: input.fds },
    name: input.appName,
    port: input.port,
    process_id: input.appId,
    process_type: input.processType,
    space_name: 'dropship',
    start: (input.startedAt ?? new Date()).toISOString(),
    uris,
    version: input.appId,
  };

  Object.assign(env, {
    PORT: String(input.port),
    VCAP_APP_PORT: String(input.port),
    VCAP_APP_HOST: '0.0.0.0',
    MEMORY_LIMIT: `${memMb}m`,
    INSTANCE_INDEX: String(input.instanceIndex),
    INSTANCE_GUID: input.instanceGuid,
    CF_INSTANCE_INDEX: String(input.instanceIndex),
    CF_INSTANCE_GUID: input.instanceGuid,
    CF_INSTANCE_IP: input.ip,
    CF_INSTANCE_INTERNAL_IP: input.ip,
    CF_INSTANCE_PORT: String(externalPort),
    CF_INSTANCE_ADDR: `${input.ip}:${input.port}`,
    CF_INSTANCE_PORTS: JSON.stringify([{ external: externalPort, internal: input.port }]),
    VCAP_APPLICATION: JSON.stringify(vcapApplication),
    VCAP_SERVICES: JSON.stringify(input.services ?? {}),
  });
  return env;
}
