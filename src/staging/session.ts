import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { isMounted, newContainerId, onInterrupt } from '../container/index.js';
import type { BindMount } from '../container/types.js';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { createSandbox, type Sandbox } from '../sandbox/index.js';
import { secureStore } from '../store-modes.js';
import { withLock } from '../util/lock.js';
import { removeTree } from '../util/remove-tree.js';
import type { NormalizedStagingOptions } from './options.js';
import { OWNER_LABEL, workDirPrefix } from './orphans.js';
import { currentOwner, formatOwner } from '../util/owner.js';
import { ContainerStepRunner, type LogSink } from './runner.js';

/** What differs between the V2 staging container and the CNB build container. */
export interface StagingContainer {
  /** `staging` or `build`: its host name, and what its network warnings are prefixed with. */
  hostname: string;
  lowerDirs: string[];
  env: Record<string, string>;
  cwd: string;
  mounts: BindMount[];
  /** The writable layer's directory (on the staging disk, so that the quota counts it). */
  writableDir?: string;
  /** Each line a step prints. */
  onLine: LogSink;
  /** Whether the staging disk is full, asked after a step failed. */
  diskFull?: () => Promise<boolean>;
}

export interface StartedContainer<T> {
  sandbox: Sandbox;
  /** Runs the buildpack steps in the container, as vcap in its cwd with its env. */
  runner: ContainerStepRunner;
  alongside: T;
}

export interface StagingSession {
  /** This staging's work dir (`tmp/staging-NAME-PID.START-…`, named for its owner), removed at the end. */
  readonly work: string;
  /** Where a staging disk is mounted in the work dir: the cleanup never removes files through it. */
  readonly diskDir: string;
  /** Warnings so far, for the result; `warn` adds one and tells the progress display. */
  readonly warnings: string[];
  warn(message: string): void;
  /**
   * Start the staging container while `alongside` runs (the app is copied into a dir it
   * bind-mounts); both must succeed, and a failure of `alongside` (it names the user's file) wins.
   */
  start<T>(container: StagingContainer, alongside: () => Promise<T>): Promise<StartedContainer<T>>;
  /**
   * Kill the container's init and wait for it: the kernel has then killed every process of its
   * pid namespace, so nothing of the staging runs while the host reads what it wrote.
   */
  halt(): Promise<void>;
  /** Closed after the container is gone and before the work dir is removed (the staging disk). */
  closeLast(resource: { close(): Promise<void> }): void;
}

/** An aborted staging: exit 143 when the abort's reason is a SIGTERM (cli/cancel.ts), else 130 as for Ctrl-C. */
export function cancelled(signal: AbortSignal): DropshipError {
  return new DropshipError('STAGING_CANCELLED', 'staging was cancelled; the staging container and its files were removed', {
    hint: 'run the staging again',
    exitCode: signal.reason === 'SIGTERM' ? 143 : 130,
  });
}

/**
 * One staging (V2) or CNB build: its work dir, the app's staging lock, and one hardened staging
 * container (a sandbox: vcap, the staging security groups unless `network: false`, the owner label
 * `dropship gc` reads). One cleanup — the container with its network, then the staging disk, then
 * the work dir — runs on every exit, on an abort (reported as cancelled) and on Ctrl-C, and can run twice.
 */
export async function withStagingSession<T>(opts: NormalizedStagingOptions, body: (session: StagingSession) => Promise<T>): Promise<T> {
  const paths = homePaths(opts.home);
  await secureStore(paths.root);
  // Who owns this staging, so that `dropship gc` can remove what a kill -9 leaves (orphans.ts). It
  // is in the dir's name, made in one step: a file written after mkdtemp would leave, killed in
  // between, a dir no gc could tell from a live staging's.
  const owner = formatOwner(await currentOwner());
  const work = await mkdtemp(join(paths.tmp, workDirPrefix(opts.name, owner))).catch((error: unknown) => {
    throw storeFull(paths.tmp, error);
  });
  const diskDir = join(work, 'disk');
  let sandbox: Sandbox | undefined;
  const resources: Array<{ close(): Promise<void> }> = [];
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      try {
        await sandbox?.destroy().catch(() => undefined);
        for (const resource of resources.reverse()) await resource.close().catch(() => undefined);
        // Never through a mount that would not go away: that would empty the app's cache.
        if (!(await isMounted(diskDir))) await removeTree(work);
      } finally {
        // Last: a Ctrl-C during this cleanup waits for it rather than exiting half-way.
        forget();
      }
    })());
  // A program that exits on Ctrl-C (installCleanupHandlers) runs the same cleanup.
  const forget = onInterrupt(close);
  // A running step ends when the container's init dies; no further step starts (runner.ts).
  const onAbort = () => void sandbox?.container.kill('SIGKILL').catch(() => undefined);
  opts.signal?.addEventListener('abort', onAbort);
  try {
    if (opts.signal?.aborted) throw cancelled(opts.signal);
    let deadline = 0;
    const session: StagingSession = {
      work,
      diskDir,
      warnings: [],
      warn(message) {
        session.warnings.push(message);
        opts.emit({ type: 'warning', message });
      },
      async start({ onLine, diskFull, ...container }, alongside) {
        const [created, done] = await Promise.allSettled([
          createSandbox({
            id: newContainerId(),
            ...(opts.network ? { network: { kind: 'staging', app: opts.name } } : {}),
            onWarning: (message) => session.warn(`${container.hostname} network: ${message}`),
            ...container,
            args: ['/bin/sleep', '2147483647'],
            user: 'vcap',
            limits: { memoryBytes: opts.memoryBytes },
            runtime: opts.runtime,
            idMap: opts.idMap,
            labels: { role: 'staging', app: opts.name, [OWNER_LABEL]: owner },
          }),
          alongside(),
        ]);
        if (created.status === 'fulfilled') sandbox = created.value;
        if (done.status === 'rejected') throw done.reason;
        if (created.status === 'rejected') throw created.reason;
        const runner = new ContainerStepRunner(created.value.container, {
          env: container.env,
          cwd: container.cwd,
          deadline,
          maxOutputBytes: opts.maxOutputBytes,
          signal: opts.signal,
          onLine,
          diskFull,
        });
        return { sandbox: created.value, runner, alongside: done.value };
      },
      async halt() {
        await sandbox?.container.kill('SIGKILL');
        await sandbox?.container.wait();
      },
      closeLast(resource) {
        resources.push(resource);
      },
    };
    return await withLock(join(paths.locks, `staging-cache-${opts.name}.lock`), async () => {
      // The timeout counts from when this staging has the app's cache, not while it waits for it.
      deadline = Date.now() + opts.timeoutMs;
      try {
        return await body(session);
      } finally {
        // Under the lock: the next staging of this app mounts the same disk image once this one has let go of it.
        await close();
      }
    }, { timeoutMs: opts.timeoutMs, signal: opts.signal });
  } catch (error) {
    throw opts.signal?.aborted ? cancelled(opts.signal) : error;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await close();
  }
}

/** The store's own disk is full (not the staging disk: a larger --disk would not help). */
function storeFull(dir: string, error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return error;
  return new DropshipError('STORE_DISK_FULL', `making the staging work dir in ${dir}: No space left on the store's disk`, {
    hint: `free space on it (df ${dir}); dropship gc removes unused layers and what killed stagings left`,
    cause: error,
  });
}
