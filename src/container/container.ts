import { watch } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { DropshipError } from '../errors.js';
import { loadProfile, type AppArmorOutcome } from '../security/apparmor.js';
import { hostGid } from '../security/idmap.js';
import { bundleDir, createBundle, removeBundle, writeSpec } from './bundle.js';
import { cgroupsPathFor, oomKillCount, peakMemoryBytes, removeCgroups } from './cgroups.js';
import { containerInit } from './init.js';
import { track, untrack } from './live.js';
import { defaultEnv, normalizeContainerOptions, resolveUser, type NormalizedContainerOptions } from './options.js';
import { mountRootfs, rootfsPath, unmountRootfs } from './rootfs.js';
import { runKeepsContainer, runtimeDelete, runtimeKill, spawnExec, spawnRun, type RuntimeName } from './runtime.js';
import { buildSpec, type SpecOptions } from './spec/index.js';
import type { Container, ContainerOptions, ExecOptions, ExitInfo } from './types.js';

/** Annotation marking a runtime container as dropship's; labels go under LABEL_PREFIX. */
export const MANAGED_ANNOTATION = 'io.dropship.managed';
export const LABEL_PREFIX = 'io.dropship.label.';

function signalNumber(signal: string): number {
  return (osConstants.signals as Record<string, number>)[signal] ?? 0;
}

/** The runtime exits 128+n when the process died of signal n, so the signal is read back from that. */
function exitInfo(result: { exitCode?: number; signal?: string }): ExitInfo {
  if (result.exitCode !== undefined) {
    const signal = result.exitCode > 128 ? Object.entries(osConstants.signals).find(([, n]) => n === result.exitCode! - 128)?.[0] : undefined;
    return { exitCode: result.exitCode, ...(signal ? { signal } : {}), oomKilled: false, timedOut: false };
  }
  const signal = result.signal ?? 'SIGKILL';
  return { exitCode: 128 + signalNumber(signal), signal, oomKilled: false, timedOut: false };
}

/** Resolve when `file` exists or `stop` settles, whichever comes first. */
async function appearance(dir: string, file: string, stop: Promise<unknown>): Promise<boolean> {
  const path = join(dir, file);
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    return await new Promise<boolean>((resolve) => {
      watcher = watch(dir, (_event, name) => {
        if (name === file) access(path).then(() => resolve(true), () => undefined);
      });
      access(path).then(() => resolve(true), () => undefined);
      stop.then(() => access(path).then(() => resolve(true), () => resolve(false)));
    });
  } finally {
    watcher?.close();
  }
}

let apparmor: Promise<AppArmorOutcome> | undefined;

/**
 * The AppArmor profile containers get, loaded once per process where the kernel has AppArmor.
 * Elsewhere `enforced` is false and `reason` says why, for callers to tell the user.
 */
export function containerApparmor(): Promise<AppArmorOutcome> {
  apparmor ??= loadProfile();
  return apparmor;
}

function specOptions(options: NormalizedContainerOptions, bundle: string, aa?: AppArmorOutcome): SpecOptions {
  return {
    args: options.args,
    env: options.env,
    cwd: options.cwd,
    user: options.user,
    hostname: options.hostname,
    rootfs: rootfsPath(bundle),
    mounts: options.mounts,
    limits: options.limits,
    idMap: options.idMap,
    cgroupsPath: cgroupsPathFor(options.id),
    annotations: {
      [MANAGED_ANNOTATION]: 'true',
      ...Object.fromEntries(Object.entries(options.labels).map(([k, v]) => [LABEL_PREFIX + k, v])),
    },
    ...(aa?.enforced ? { apparmorProfile: aa.profile } : {}),
  };
}

class RuntimeContainer implements Container {
  readonly id: string;
  readonly bundle: string;
  private readonly runtime: RuntimeName;
  private exited?: Promise<ExitInfo>;
  private runtimeGone = false;
  private apparmor?: AppArmorOutcome;
  private destroying?: Promise<void>;
  private execCount = 0;
  private readonly stderrTail = { text: '' };

  constructor(private readonly options: NormalizedContainerOptions) {
    this.id = options.id;
    this.bundle = bundleDir(options.id);
    this.runtime = options.runtime;
  }

  async start(): Promise<void> {
    const [apparmor, init] = await Promise.all([containerApparmor(), containerInit()]);
    this.apparmor = apparmor;
    await createBundle(this.id, hostGid(this.options.idMap, 0));
    await Promise.all([
      mountRootfs(this.bundle, this.options.lowerDirs, this.options.idMap, this.options.limits.diskBytes, this.options.writableDir),
      writeSpec(this.bundle, buildSpec({ ...specOptions(this.options, this.bundle, this.apparmor), init })),
    ]);
    const subprocess = spawnRun(this.runtime, this.bundle, this.id, join(this.bundle, 'init.pid'), {
      stdin: this.options.stdin,
      onStdout: this.options.onStdout,
      onStderr: this.options.onStderr,
      stderrTail: this.stderrTail,
    });
    const settled = subprocess.then((result) => {
      this.runtimeGone = !runKeepsContainer(this.runtime);
      return result;
    });
    this.exited = settled.then(async (result) => {
      const info = exitInfo(result);
      return { ...info, oomKilled: await this.wasOomKilled(info) };
    });
    const started = await appearance(this.bundle, 'init.pid', settled);
    if (!started) {
      const result = await settled;
      const missing = (result as { code?: string }).code === 'ENOENT';
      const why = missing ? 'not installed' : `exit ${result.exitCode ?? result.signal}: ${this.stderrTail.text.trim().split('\n').slice(-5).join('\n')}`;
      throw new DropshipError('CONTAINER_START', `${this.runtime} run ${this.id} failed (${why})`, {
        hint: missing ? `apt-get install ${this.runtime}` : 'run `dropship doctor` to check runc, user namespaces, overlayfs and cgroups on this host',
        cause: result,
      });
    }
  }

  private async wasOomKilled(info: ExitInfo): Promise<boolean> {
    const limit = this.options.limits.memoryBytes;
    if (limit === undefined || info.signal !== 'SIGKILL') return false;
    if (runKeepsContainer(this.runtime)) return (await oomKillCount(this.id)) > 0;
    return (await peakMemoryBytes(this.id)) >= limit - 1024 * 1024;
  }

  async pid(): Promise<number> {
    const text = await readFile(join(this.bundle, 'init.pid'), 'utf8');
    return Number.parseInt(text, 10);
  }

  async exec(args: string[], options: ExecOptions = {}): Promise<ExitInfo> {
    const n = ++this.execCount;
    const user = resolveUser(options.user ?? this.options.user);
    const spec = buildSpec({
      ...specOptions(this.options, this.bundle, this.apparmor),
      args,
      user,
      env: defaultEnv(user, { ...this.options.env, ...options.env }),
      cwd: options.cwd ?? this.options.cwd,
    });
    const processFile = await writeSpec(this.bundle, spec.process as never, `exec-${n}.json`);
    const pidFile = join(this.bundle, `exec-${n}.pid`);
    const subprocess = spawnExec(this.runtime, this.id, processFile, pidFile, {
      stdin: 'ignore',
      onStdout: options.onStdout,
      onStderr: options.onStderr,
    });
    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          // runc exec forwards signals but cannot forward SIGKILL: kill the process by its host pid.
          readFile(pidFile, 'utf8').then((pid) => process.kill(Number.parseInt(pid, 10), 'SIGKILL')).catch(() => subprocess.kill('SIGKILL'));
        }, options.timeoutMs)
      : undefined;
    try {
      const info = exitInfo(await subprocess);
      return { ...info, timedOut, oomKilled: await this.wasOomKilled(info) };
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await runtimeKill(this.runtime, this.id, signal);
  }

  wait(): Promise<ExitInfo> {
    if (!this.exited) return Promise.reject(new DropshipError('CONTAINER_NOT_STARTED', `container ${this.id} was never started`, { hint: 'create containers with createContainer(), which starts them' }));
    return this.exited;
  }

  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  private async teardown(): Promise<void> {
    try {
      // The host's rootfs mount can go while the runtime deletes: the container has its own copy.
      await Promise.all([
        this.runtimeGone ? undefined : runtimeDelete(this.runtime, this.id),
        this.exited?.catch(() => undefined),
        unmountRootfs(this.bundle),
      ]);
      await removeCgroups(this.id);
      await removeBundle(this.bundle);
    } finally {
      untrack(this);
    }
  }
}

/**
 * Create and start a hardened container: bundle, overlay rootfs, runtime spec, then the
 * runtime's `run` with the init's output streamed to the callbacks. Resolves once init runs;
 * on any failure everything created so far is removed.
 */
export async function createContainer(options: ContainerOptions): Promise<Container> {
  const normalized = normalizeContainerOptions(options);
  const container = new RuntimeContainer(normalized);
  track(container);
  try {
    await container.start();
  } catch (error) {
    // Someone else's bundle must survive a clash of ids.
    if ((error as DropshipError).code === 'CONTAINER_EXISTS') untrack(container);
    else await container.destroy().catch(() => undefined);
    throw error;
  }
  return container;
}
