import type { Containment } from '../util/contained-path.js';
import { basename, dirname, join, resolve } from 'node:path';
import { DEFAULT_STACK } from '../stack/index.js';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { defaultIdMap, type IdMap } from '../security/idmap.js';
import { checkName } from '../util/names.js';
import { formatBytes, parseDuration, parseSize } from '../util/units.js';
import type { Limits } from './phases/limits.js';
import type { StackRootfs, StagingEvent, StagingOptions } from './types.js';

export interface NormalizedStagingOptions {
  appDir: string;
  appDirWithin?: Containment;
  buildpacks: string[];
  buildpacksFrom?: string;
  stack: string;
  name: string;
  env: Record<string, string>;
  command?: string;
  dropletPath: string;
  dropletCompression: 'fast' | 'store';
  resultPath: string;
  timeoutMs: number;
  memoryBytes: number;
  diskBytes: number;
  maxOutputBytes: number;
  noCache: boolean;
  services: Record<string, unknown>;
  runtime?: 'runc' | 'crun';
  idMap: IdMap;
  home: string;
  network: boolean;
  rootfs?: StackRootfs;
  emit: (event: StagingEvent) => void;
  signal?: AbortSignal;
  limits: Limits;
}

const STACK = /^[a-z0-9][a-z0-9._-]*$/;

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Raw options → one validated object; errors name the option, the value and the fix. */
export function normalizeStagingOptions(options: StagingOptions): NormalizedStagingOptions {
  const appDir = resolve(options.appDir);
  const name = options.name ?? basename(appDir).replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  checkName(name, options.name === undefined ? { source: `the app directory's name (${appDir})`, hint: 'give one with --name' } : { source: '--name' });
  const stack = options.stack ?? DEFAULT_STACK;
  if (!STACK.test(stack)) {
    throw new DropshipError('INVALID_STACK', `--stack: '${stack}' is not a stack name`, { hint: 'use tiny or bookworm' });
  }
  const timeoutMs = typeof options.timeout === 'number' ? options.timeout : parseDuration(options.timeout ?? '15m', '--timeout');
  const memoryBytes = parseSize(options.memory ?? '1G', '--memory');
  const diskBytes = parseSize(options.disk ?? '4G', '--disk');
  if (diskBytes < 64 * 1024 ** 2) {
    throw new DropshipError('INVALID_SIZE', `--disk: '${options.disk}' is less than the 64M staging needs`, { hint: 'e.g. --disk 4G' });
  }
  const maxOutputBytes = parseSize(options.maxOutput ?? '256M', 'maximum staging output');
  if (timeoutMs <= 0) throw new DropshipError('INVALID_DURATION', `--timeout: '${options.timeout}' must be more than zero`, { hint: 'e.g. --timeout 15m' });
  if (memoryBytes < 16 * 1024 ** 2) {
    throw new DropshipError('INVALID_SIZE', `--memory: '${options.memory}' is less than the 16M staging needs`, { hint: 'e.g. --memory 1G' });
  }
  if (options.command !== undefined && options.command.trim() === '') {
    throw new DropshipError('INVALID_COMMAND', '--command is empty', { hint: "give the start command, e.g. --command './server --port $PORT'" });
  }
  const dropletPath = resolve(options.dropletPath ?? 'droplet.tgz');
  const resultPath = resolve(options.resultPath ?? join(dirname(dropletPath), 'result.json'));
  const home = options.home ?? homePaths().root;
  return {
    appDir,
    appDirWithin: options.appDirWithin,
    buildpacks: options.buildpacks ?? [],
    buildpacksFrom: options.buildpacksFrom,
    stack,
    name,
    env: options.env ?? {},
    command: options.command,
    dropletPath,
    dropletCompression: options.dropletCompression ?? 'fast',
    resultPath,
    timeoutMs,
    memoryBytes,
    diskBytes,
    maxOutputBytes,
    noCache: options.noCache ?? false,
    services: options.services ?? {},
    runtime: options.runtime,
    idMap: options.idMap ?? defaultIdMap(),
    home,
    network: options.network ?? true,
    rootfs: options.rootfs,
    emit: options.onEvent ?? (() => undefined),
    signal: options.signal,
    limits: { timeout: formatDuration(timeoutMs), memory: formatBytes(memoryBytes), output: formatBytes(maxOutputBytes), disk: formatBytes(diskBytes) },
  };
}
