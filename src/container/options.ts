import { randomBytes } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { DropshipError } from '../errors.js';
import { defaultIdMap, VCAP_GID, VCAP_UID, type IdMap } from '../security/idmap.js';
import { cpuSharesForMemory } from './spec/limits.js';
import type { BindMount, ContainerMonitor, ContainerOptions, ContainerUser } from './types.js';

export const CONTAINER_ID_PREFIX = 'dropship-';
export const DEFAULT_PIDS_LIMIT = 1024;
export const DEFAULT_NOFILE = 16384;
export const DEFAULT_LOG_SIZE_MAX = 8 * 1024 * 1024;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

export interface NormalizedContainerOptions {
  id: string;
  lowerDirs: string[];
  args: string[];
  env: Record<string, string>;
  cwd: string;
  user: ResolvedUser;
  hostname: string;
  mounts: BindMount[];
  limits: { memoryBytes?: number; cpuShares: number; pids: number; nofile: number; diskBytes?: number };
  runtime: 'runc' | 'crun';
  idMap: IdMap;
  writableDir?: string;
  labels: Record<string, string>;
  stdin: 'inherit' | 'ignore';
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  monitor?: Required<ContainerMonitor>;
  beforeStart?: (pid: number) => Promise<void>;
}

export function newContainerId(): string {
  return CONTAINER_ID_PREFIX + randomBytes(8).toString('hex');
}

export function resolveUser(user: ContainerUser = 'vcap'): ResolvedUser {
  if (user === 'vcap') return { uid: VCAP_UID, gid: VCAP_GID, additionalGids: [] };
  if (user === 'root') return { uid: 0, gid: 0, additionalGids: [] };
  return { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids ?? [] };
}

/** HOME and PATH as a login would set them; the caller's env wins. */
export function defaultEnv(user: ResolvedUser, env: Record<string, string> = {}): Record<string, string> {
  return { PATH: DEFAULT_PATH, HOME: user.uid === 0 ? '/root' : user.uid === VCAP_UID ? '/home/vcap' : '/', ...env };
}

function invalid(option: string, value: unknown, hint: string): DropshipError {
  return new DropshipError('INVALID_CONTAINER_OPTION', `container option ${option}: ${JSON.stringify(value)} is not valid`, { hint });
}

/** Validate and fill in defaults once; the rest of the room sees only this shape. */
export function normalizeContainerOptions(options: ContainerOptions): NormalizedContainerOptions {
  const id = options.id ?? newContainerId();
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id)) throw invalid('id', id, 'use letters, digits, "-", "_" and "." (at most 128)');
  if (options.lowerDirs.length === 0 || !options.lowerDirs.every(isAbsolute)) {
    throw invalid('lowerDirs', options.lowerDirs, 'give at least one absolute path of an unpacked layer, bottom (stack) first');
  }
  if (options.args.length === 0) throw invalid('args', options.args, 'give the command to run, e.g. ["/bin/sh", "-c", "..."]');
  const user = resolveUser(options.user);
  for (const key of ['uid', 'gid'] as const) {
    if (!Number.isInteger(user[key]) || user[key] < 0 || user[key] > 65535) throw invalid(`user.${key}`, user[key], 'use an id between 0 and 65535');
  }
  const limits = options.limits ?? {};
  if (limits.memoryBytes !== undefined && (!Number.isInteger(limits.memoryBytes) || limits.memoryBytes < 4 * 1024 * 1024)) {
    throw invalid('limits.memoryBytes', limits.memoryBytes, 'give at least 4M of memory');
  }
  if (limits.diskBytes !== undefined && (!Number.isInteger(limits.diskBytes) || limits.diskBytes < 16 * 1024 * 1024)) {
    throw invalid('limits.diskBytes', limits.diskBytes, 'give at least 16M of disk');
  }
  const pids = limits.pids ?? DEFAULT_PIDS_LIMIT;
  if (!Number.isInteger(pids) || pids < 1) throw invalid('limits.pids', pids, 'give a positive number of processes');
  if (options.writableDir !== undefined && !isAbsolute(options.writableDir)) throw invalid('writableDir', options.writableDir, 'give an absolute path');
  for (const m of options.mounts ?? []) {
    if (!isAbsolute(m.source) || !isAbsolute(m.destination)) throw invalid('mounts', m, 'bind mount source and destination must be absolute paths');
  }
  const monitor = options.monitor === undefined ? undefined : normalizeMonitor(options);
  // A foreground `runc run` creates and starts in one step: there is no moment in between.
  if (options.beforeStart && !monitor) throw invalid('beforeStart', 'callback', 'only a monitored container (monitor) is created before it starts');
  return {
    id,
    lowerDirs: [...options.lowerDirs],
    args: [...options.args],
    env: defaultEnv(user, options.env),
    cwd: options.cwd ?? '/',
    user,
    hostname: options.hostname ?? id.slice(0, 63),
    mounts: [...(options.mounts ?? [])],
    limits: {
      memoryBytes: limits.memoryBytes,
      cpuShares: limits.cpuShares ?? cpuSharesForMemory(limits.memoryBytes),
      pids,
      nofile: limits.nofile ?? DEFAULT_NOFILE,
      ...(limits.diskBytes === undefined ? {} : { diskBytes: limits.diskBytes }),
    },
    runtime: options.runtime ?? 'runc',
    idMap: options.idMap ?? defaultIdMap(),
    ...(options.writableDir === undefined ? {} : { writableDir: options.writableDir }),
    labels: { ...(options.labels ?? {}) },
    stdin: options.stdin ?? 'ignore',
    onStdout: options.onStdout,
    onStderr: options.onStderr,
    ...(monitor ? { monitor } : {}),
    ...(options.beforeStart ? { beforeStart: options.beforeStart } : {}),
  };
}

/**
 * conmon owns a monitored container's stdio: stdin is /dev/null and the output goes to the log
 * file, so options that stream through dropship do not apply. runc only: Debian's crun 1.8.1
 * chowns the stdio it is handed to the container's user, and conmon hands it the host's
 * /dev/null as stdin.
 */
function normalizeMonitor(options: ContainerOptions): Required<ContainerMonitor> {
  const monitor = options.monitor!;
  if (typeof monitor.logPath !== 'string' || !isAbsolute(monitor.logPath)) throw invalid('monitor.logPath', monitor.logPath, 'give an absolute path for the log file');
  if (typeof monitor.exitDir !== 'string' || !isAbsolute(monitor.exitDir)) throw invalid('monitor.exitDir', monitor.exitDir, 'give an absolute path for the exit directory');
  const logSizeMax = monitor.logSizeMax ?? DEFAULT_LOG_SIZE_MAX;
  if (!Number.isInteger(logSizeMax) || logSizeMax < 4096) throw invalid('monitor.logSizeMax', logSizeMax, 'give at least 4096 bytes');
  if ((options.runtime ?? 'runc') !== 'runc') {
    throw invalid('runtime', options.runtime, "monitored containers run under runc: Debian's crun 1.8.1 would chown the host's /dev/null, which conmon hands it as stdin, to the container's user; use runtime 'runc' (the default)");
  }
  if ((options.stdin ?? 'ignore') !== 'ignore') throw invalid('stdin', options.stdin, "a monitored container's stdin is /dev/null: it outlives the caller's terminal");
  if (options.onStdout || options.onStderr) throw invalid('onStdout/onStderr', 'callback', "a monitored container's output goes to monitor.logPath: read it with readLog()");
  return { logPath: monitor.logPath, exitDir: monitor.exitDir, logSizeMax };
}
