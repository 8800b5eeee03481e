import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DropshipError } from '../errors.js';

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Per lock path, the end of this process's queue for it (see withLock). */
const queues = new Map<string, Promise<void>>();

function lockTimeout(path: string, owner: number | string): DropshipError {
  return new DropshipError('LOCK_TIMEOUT', `could not take lock ${path} (held by pid ${owner})`, {
    hint: 'another dropship process is working on the same store; wait for it or stop it',
  });
}

/**
 * A lock file holding the owner's pid. Node has no flock, so a lock whose owner is dead is
 * taken over: a kill -9 of dropship never wedges the store. An abort of `signal` ends the wait
 * (with its reason): Ctrl-C must not leave a command waiting for, then taking, a lock it no longer wants.
 *
 * Callers in one process queue in order before they try the file: the daemon starting an
 * instance while it writes a data path would otherwise poll a file its own process holds, and
 * each poll sleeps 25-75 ms past the moment it is given back. Other processes still poll.
 */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const started = Date.now();
  const before = queues.get(path);
  let leave!: () => void;
  const mine = new Promise<void>((resolve) => (leave = resolve));
  const end = (before ?? Promise.resolve()).then(() => mine);
  queues.set(path, end);
  try {
    if (before) {
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      const turn = await Promise.race([
        before.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
        new Promise<never>((_, reject) => {
          onAbort = () => reject(options.signal!.reason);
          if (options.signal?.aborted) onAbort();
          else options.signal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]).finally(() => {
        clearTimeout(timer);
        if (onAbort) options.signal?.removeEventListener('abort', onAbort);
      });
      if (!turn) throw lockTimeout(path, process.pid);
    }
    return await withLockFile(path, fn, Math.max(0, timeoutMs - (Date.now() - started)), options.signal);
  } finally {
    leave();
    if (queues.get(path) === end) queues.delete(path);
  }
}

async function withLockFile<T>(path: string, fn: () => Promise<T>, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const started = Date.now();
  for (;;) {
    signal?.throwIfAborted();
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(String(process.pid));
      } catch (error) {
        // A lock file without its owner's pid would be nobody's to take over: every later caller
        // would wait for it until its timeout. A full disk is said as such, naming it.
        await handle.close().catch(() => undefined);
        await rm(path, { force: true });
        throw lockWriteFailed(path, error);
      }
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isFinite(owner) && owner > 0 && !processAlive(owner)) {
        await rm(path, { force: true });
        continue;
      }
      if (Date.now() - started > timeoutMs) throw lockTimeout(path, owner);
      await sleep(25 + Math.random() * 50, undefined, { signal });
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

function lockWriteFailed(path: string, error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return error;
  return new DropshipError('STORE_DISK_FULL', `taking the lock ${path}: No space left on the store's disk`, {
    hint: `free space on it (df ${dirname(path)}); dropship gc removes unused layers and what killed stagings left`,
    cause: error,
  });
}
