import { spawn } from 'node:child_process';
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { processAlive, withLock } from '../util/lock.js';
import { callControl, type ControlRequest } from './control.js';
import { livenessIntervalFromEnv } from './liveness-env.js';
import type { NormalizedRunOptions } from './run-options.js';
import { appPaths, readSupervisorRecord } from './state.js';

/**
 * The client of the store's one daemon. The apps room is the desired state; the daemon makes it
 * so. A path, not an import: the daemon is another process, so a CLI command that only asks it
 * something never loads containers, networks or images.
 */
export interface DaemonPaths {
  socket: string;
  pid: string;
  log: string;
  /** Held by a daemon while it claims the pid file (two daemons never both run). */
  lock: string;
  /** Held by a CLI while it starts a daemon (two CLIs start one). */
  startLock: string;
}

export function daemonPaths(root = homePaths().root): DaemonPaths {
  return {
    socket: join(root, 'daemon.sock'),
    pid: join(root, 'daemon.pid'),
    log: join(root, 'daemon.log'),
    lock: join(homePaths(root).locks, 'daemon.lock'),
    startLock: join(homePaths(root).locks, 'daemon-start.lock'),
  };
}

/** What one app asks of the daemon: the supervisor's requests, plus start and forget (delete). */
export type AppRequest = ControlRequest | { op: 'start' } | { op: 'forget' };

/**
 * `run -d` in one request: the daemon makes the app of the options the CLI normalised (image
 * resolved in the store, host port, release 1), supervises it and answers once every instance has
 * a first verdict, with the app as `ps` shows it. One round trip, and the CLI never loads images.
 */
export interface RunRequest {
  op: 'run';
  app: string;
  options: NormalizedRunOptions;
  /** The release's reason, before the image: `run`, `push`. */
  reason: string;
}

export type DaemonRequest =
  | { op: 'ping' }
  | RunRequest
  | { op: 'daemon-status' }
  | { op: 'shutdown' }
  | (AppRequest & { app: string });

export interface DaemonStatus {
  pid: number;
  home: string;
  startedAt: string;
  apps: Array<{ name: string; hostPort: number; instances: number; running: number }>;
  instances: number;
  rssBytes: number;
}

/** The daemon's entry module (.ts under tsx in tests, .js from dist/). */
export function daemonEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`../daemon/daemon-main${ext}`, import.meta.url));
}

/**
 * Only the flags that make our own modules loadable (tsx in development and tests) go to the
 * daemon: `-e`, `--test` and the like would make it run the parent's program instead.
 */
export function loaderArgs(execArgv: string[]): string[] {
  const loaders = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const flag = arg.split('=')[0]!;
    if (!loaders.has(flag)) continue;
    kept.push(arg);
    if (!arg.includes('=') && i + 1 < execArgv.length) kept.push(execArgv[++i]!);
  }
  return kept;
}

/** The pid in the pid file, if that process lives and is a dropship daemon (pids get reused). */
export async function livingDaemonPid(path = daemonPaths().pid): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return undefined;
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  return argv.some((arg) => /daemon-main\.[jt]s$/.test(arg)) ? pid : undefined;
}

/** The daemon's answer to a ping, or undefined when nobody answers on the socket. */
export async function pingDaemon(timeoutMs = 2000): Promise<{ pid: number; code?: string } | undefined> {
  return callControl<{ pid: number; code?: string }>(daemonPaths().socket, { op: 'ping' }, timeoutMs).catch(() => undefined);
}

let identity: Promise<string> | undefined;

/**
 * Which dropship this is: its version and when its daemon entry was written (an install or a
 * build rewrites it). A CLI that finds a daemon of another dropship (an upgrade) replaces it:
 * the instances run on and the new daemon adopts them.
 */
export function codeIdentity(): Promise<string> {
  identity ??= (async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8').catch(() => '{}')) as { version?: string };
    return `${pkg.version ?? '?'}+${await newestWrite(daemonEntry())}`;
  })();
  return identity;
}

/**
 * When the daemon's code was last written. A build rewrites every file of dist/, so its entry's
 * mtime tells; run from source (tsx: development and tests) an edit touches one file, so the
 * newest of src/ does (a few hundred stats, only on that path).
 */
async function newestWrite(entry: string): Promise<number> {
  if (!entry.endsWith('.ts')) return stat(entry).then((s) => Math.round(s.mtimeMs), () => 0);
  const src = fileURLToPath(new URL('../', import.meta.url));
  const files = (await readdir(src, { recursive: true }).catch(() => [] as string[])).filter((name) => name.endsWith('.ts'));
  const times = await Promise.all(files.map((name) => stat(join(src, name)).then((s) => s.mtimeMs, () => 0)));
  return Math.round(Math.max(0, ...times));
}

/** Ask the daemon to stop (its apps run on) and wait until its pid is gone. */
async function replaceDaemon(pid: number): Promise<void> {
  await callControl(daemonPaths().socket, { op: 'shutdown' }, 10_000).catch(() => process.kill(pid, 'SIGTERM'));
  for (let i = 0; i < 300 && (await livingDaemonPid()) === pid; i++) await new Promise((r) => setTimeout(r, 50));
  if ((await livingDaemonPid()) === pid) {
    throw new DropshipError('DAEMON_STOP_TIMEOUT', `the daemon of an older dropship (pid ${pid}) did not stop within 15s`, {
      hint: `\`kill ${pid}\` stops it (the apps keep running), then run the command again`,
    });
  }
}

/**
 * The store's daemon, started when none answers: one per store however many CLIs ask at once
 * (the start lock, then the daemon's own claim of its pid file). A socket or pid file left by a
 * dead daemon is replaced. Resolves with its pid once it answers.
 */
export async function ensureDaemon(timeoutMs = 60_000): Promise<{ pid: number; started: boolean }> {
  const code = await codeIdentity();
  const up = await pingDaemon();
  if (up && up.code === code) return { pid: up.pid, started: false };
  const paths = daemonPaths();
  // The daemon gets our env: reject a bad value here, where the error and its hint reach the user.
  livenessIntervalFromEnv(process.env);
  return withLock(paths.startLock, async () => {
    const again = await pingDaemon();
    if (again && again.code === code) return { pid: again.pid, started: false };
    if (again) await replaceDaemon(again.pid);
    let exited: { code: number | null } | undefined;
    if ((await livingDaemonPid(paths.pid)) === undefined) {
      await rm(paths.socket, { force: true });
      await mkdir(homePaths().root, { recursive: true, mode: 0o700 });
      const log = await open(paths.log, 'a', 0o600);
      const child = spawn(process.execPath, [...loaderArgs(process.execArgv), daemonEntry()], {
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
        env: process.env,
      });
      child.once('exit', (code) => (exited = { code }));
      child.unref();
      await log.close();
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = await pingDaemon();
      if (answer) return { pid: answer.pid, started: true };
      if (exited) {
        const tail = (await readFile(paths.log, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
        throw new DropshipError('DAEMON_FAILED', `the dropship daemon exited (code ${exited.code}) before it was ready${tail ? `:\n${tail}` : ''}`, {
          hint: `see ${paths.log}`,
        });
      }
      if (Date.now() > deadline) {
        throw new DropshipError('DAEMON_TIMEOUT', `the dropship daemon did not answer on ${paths.socket} within ${timeoutMs / 1000}s`, {
          hint: `see ${paths.log}`,
        });
      }
      // Short: every poll lands on the start time of `run -d`, and a refused connect is cheap.
      await new Promise((r) => setTimeout(r, 10));
    }
  });
}

/** The socket whose daemon this process has found current (pinged, or answered it since). */
let answering: string | undefined;

/**
 * One request to the daemon, started first if needed; `signal` ends the wait for its answer. Once
 * a daemon of this build has answered, later requests of the same process go straight to it (a
 * `run -d` asks three times); one that finds nobody listening makes sure of a daemon again and is
 * sent once more — it never arrived.
 */
export async function callDaemon<T>(request: DaemonRequest, timeoutMs = 30_000, signal?: AbortSignal): Promise<T> {
  const socket = daemonPaths().socket;
  if (answering === socket) {
    try {
      return await callControl<T>(socket, request, timeoutMs, signal);
    } catch (error) {
      const code = ((error as DropshipError).cause as NodeJS.ErrnoException | undefined)?.code;
      if ((error as DropshipError).code !== 'SUPERVISOR_UNREACHABLE' || (code !== 'ECONNREFUSED' && code !== 'ENOENT')) throw error;
      answering = undefined;
    }
  }
  await ensureDaemon();
  const result = await callControl<T>(socket, request, timeoutMs, signal);
  answering = socket;
  return result;
}

/** One request about app `name`. */
export function askApp<T>(name: string, request: AppRequest, timeoutMs = 30_000, signal?: AbortSignal): Promise<T> {
  return callDaemon<T>({ ...request, app: name }, timeoutMs, signal);
}

export type SupervisorState = { kind: 'running'; pid?: number } | { kind: 'stopped' };

/**
 * Whether the app is started (the daemon supervises it, or will as soon as it runs again).
 * The record is the daemon's: it writes it on start and removes it on stop, so a dead daemon's
 * apps stay started and the next daemon brings them back.
 */
export async function supervisorState(name: string): Promise<SupervisorState> {
  const record = await readSupervisorRecord(name);
  return record ? { kind: 'running', pid: record.pid } : { kind: 'stopped' };
}

/** Hand the app to the daemon; resolves once the daemon supervises it. */
export async function spawnSupervisor(name: string): Promise<void> {
  appPaths(name);
  await askApp(name, { op: 'start' }, 120_000);
}
