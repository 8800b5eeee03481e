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

/**
 * A lock file holding the owner's pid. Node has no flock, so a lock whose owner is dead is
 * taken over: a kill -9 of dropship never wedges the store. An abort of `signal` ends the wait
 * (with its reason): Ctrl-C must not leave a command waiting for, then taking, a lock it no longer wants.
 */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  await mkdir(dirname(path), { recursive: true });
  const started = Date.now();
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isFinite(owner) && owner > 0 && !processAlive(owner)) {
        await rm(path, { force: true });
        continue;
      }
      if (Date.now() - started > timeoutMs) {
        throw new DropshipError('LOCK_TIMEOUT', `could not take lock ${path} (held by pid ${owner})`, {
          hint: 'another dropship process is working on the same store; wait for it or stop it',
        });
      }
      await sleep(25 + Math.random() * 50, undefined, { signal: options.signal });
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
