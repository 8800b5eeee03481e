import { watch } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { access, chmod, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { allSettled } from '../util/settled.js';
import { DropshipError } from '../errors.js';
import { loadProfile, type AppArmorOutcome } from '../security/apparmor.js';
import { hostGid } from '../security/idmap.js';
import { bundleDir, createBundle, removeBundle, writeSpec } from './bundle.js';
import { cgroupsPathFor, oomKillCount, peakMemoryBytes, removeCgroups } from './cgroups.js';
import { containerInit } from './init.js';
import { track, untrack } from './live.js';
import { defaultEnv, normalizeContainerOptions, resolveUser, type NormalizedContainerOptions } from './options.js';
import { mountRootfs, rootfsPath, unmountRootfs } from './rootfs.js';
import { requireExecutable, startConmon } from './conmon.js';
import { statusInfo } from './exit-file.js';
import { StepStream, stepNonce, wrapStep } from './step-end.js';
import { identify, monitorGone, stillRunning, waitForExit, type ProcessIdentity } from './monitor.js';
import { writeRecord } from './record.js';
import { runKeepsContainer, runtimeDelete, runtimeKill, runtimeStart, spawnExec, spawnRun, type RuntimeName } from './runtime.js';
import { buildSpec, type SpecOptions } from './spec/index.js';
import type { Container, ContainerOptions, ExecOptions, ExitInfo, MonitoredContainer } from './types.js';

/** Annotation marking a runtime container as dropship's; labels go under LABEL_PREFIX. */
export const MANAGED_ANNOTATION = 'io.dropship.managed';
export const LABEL_PREFIX = 'io.dropship.label.';

function signalNumber(signal: string): number {
  return (osConstants.signals as Record<string, number>)[signal] ?? 0;
}

/** The runtime exits 128+n when the process died of signal n, so the signal is read back from that. */
function exitInfo(result: { exitCode?: number; signal?: string }): ExitInfo {
  if (result.exitCode !== undefined) return statusInfo(result.exitCode);
  const signal = result.signal ?? 'SIGKILL';
  return { exitCode: 128 + signalNumber(signal), signal, oomKilled: false, timedOut: false };
}

/** SIGKILL a process and its direct children (found by their parent pid in /proc). */
async function killWithChildren(pid: number): Promise<void> {
  const children: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 (ppid), counted after the command name's closing parenthesis.
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
  }
  for (const target of [...children, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
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

/** How long destroy() lets conmon drain the log and write the exit file after the init is killed. */
const MONITOR_EXIT_MS = 10_000;
/** How long an exec's runtime may take to exit after its process did, before it is taken as held by leftovers. */
const RUNTIME_EXIT_GRACE_MS = 250;

/** What a handle knows of a monitored container's processes (from its start, or from adoption). */
export interface MonitorState {
  conmon?: ProcessIdentity;
  init?: ProcessIdentity;
}

export class RuntimeContainer implements MonitoredContainer {
  readonly id: string;
  readonly bundle: string;
  private readonly runtime: RuntimeName;
  private exited?: Promise<ExitInfo>;
  private runtimeGone = false;
  private apparmor?: AppArmorOutcome;
  private destroying?: Promise<void>;
  private execCount = 0;
  private readonly stderrTail = { text: '' };
  private readonly stopWatching = new AbortController();
  private lostMonitor?: () => void;
  private readonly monitorLostOnce = new Promise<void>((resolve) => (this.lostMonitor = resolve));

  constructor(
    private options: NormalizedContainerOptions,
    private monitorState: MonitorState = {},
  ) {
    this.id = options.id;
    this.bundle = bundleDir(options.id);
    this.runtime = options.runtime;
  }

  get logPath(): string | undefined {
    return this.options.monitor?.logPath;
  }

  get exitFile(): string | undefined {
    return this.options.monitor ? join(this.options.monitor.exitDir, this.id) : undefined;
  }

  get labels(): Record<string, string> {
    return { ...this.options.labels };
  }

  get conmonPid(): number | undefined {
    return this.monitorState.conmon?.pid;
  }

  /** For an adopted handle: the AppArmor outcome exec() needs, as start() would have set it. */
  async resume(): Promise<void> {
    this.apparmor = await containerApparmor();
  }

  /**
   * `completing` is the options with what createContainer's `later` brought: the rootfs needs
   * none of it and is mounted meanwhile; the spec and record, which do, wait for it.
   */
  async start(completing?: Promise<NormalizedContainerOptions>): Promise<void> {
    const bundled = this.makeBundle();
    // Settled, not Promise.all: the cleanup of a failed start must not race a mount still being made.
    await allSettled([
      bundled.then(() => mountRootfs(this.bundle, this.options.lowerDirs, this.options.idMap, this.options.limits.diskBytes, this.options.writableDir)),
      Promise.all([bundled, completing]).then(([init, completed]) => {
        if (completed) this.options = completed;
        return allSettled([
          writeSpec(this.bundle, buildSpec({ ...specOptions(this.options, this.bundle, this.apparmor), init })),
          this.options.monitor ? writeRecord(this.bundle, this.options) : undefined,
        ]);
      }),
    ]);
    if (this.options.monitor) await this.startMonitored(this.options.monitor);
    else await this.startForeground();
  }

  /** The bundle directory; resolves with the init's host path, which the spec names. */
  private async makeBundle(): Promise<string> {
    const [apparmor, init] = await Promise.all([containerApparmor(), containerInit()]);
    this.apparmor = apparmor;
    await createBundle(this.id, hostGid(this.options.idMap, 0));
    return init;
  }

  /**
   * Detached under conmon: conmon runs `runc create` and stays the init's parent; dropship then
   * runs `runc start`. The exit is read from the exit file when someone waits (wait()), so a
   * process that only creates containers is not held open by a watcher.
   */
  private async startMonitored(monitor: NonNullable<NormalizedContainerOptions['monitor']>): Promise<void> {
    const [runtimePath] = await Promise.all([
      requireExecutable('runc'),
      mkdir(monitor.exitDir, { recursive: true, mode: 0o700 }),
      mkdir(dirname(monitor.logPath), { recursive: true, mode: 0o700 }),
    ]);
    // An exit file left by an earlier container of this id would read as this one's exit.
    await rm(join(monitor.exitDir, this.id), { force: true });
    const pids = await startConmon({
      id: this.id,
      bundle: this.bundle,
      runtimePath,
      initPidFile: join(this.bundle, 'init.pid'),
      conmonPidFile: join(this.bundle, 'conmon.pid'),
      logPath: monitor.logPath,
      logSizeMax: monitor.logSizeMax,
      exitDir: monitor.exitDir,
    });
    const [conmon, init] = await Promise.all([identify(pids.conmonPid), identify(pids.initPid)]);
    this.monitorState = { conmon, init };
    // conmon's stdout/stderr pipes belong to host root with mode 0600, and `runc create` hands
    // them on as they are: an app user that reopens them (nginx's `access_log /dev/stdout`) gets
    // EACCES. A pipe can only be reopened through /proc/PID/fd, which needs ptrace rights over the
    // container's processes, so opening the mode to everyone gives nobody else a way in.
    await Promise.all([1, 2].map((fd) => chmod(`/proc/${pids.initPid}/fd/${fd}`, 0o666)));
    await this.options.beforeStart?.(pids.initPid);
    await runtimeStart(this.runtime, this.id);
  }

  private async startForeground(): Promise<void> {
    const subprocess = spawnRun(this.runtime, this.bundle, this.id, join(this.bundle, 'init.pid'), {
      stdin: this.options.stdin,
      onStdout: this.options.onStdout,
      onStderr: this.options.onStderr,
      stderrTail: this.stderrTail,
    });
    const settled = subprocess.done.then((result) => {
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
      const missing = result.code === 'ENOENT';
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

  /**
   * Run `args` in the container and resolve with its status once it has exited, even when a
   * background child it left keeps its stdout or stderr open (see step-end.ts): its output up
   * to its exit is passed on, later output is not; the leftovers die with the container.
   */
  async exec(args: string[], options: ExecOptions = {}): Promise<ExitInfo> {
    const n = ++this.execCount;
    const user = resolveUser(options.user ?? this.options.user);
    const nonce = stepNonce();
    const spec = buildSpec({
      ...specOptions(this.options, this.bundle, this.apparmor),
      args: wrapStep(args, nonce),
      user,
      env: defaultEnv(user, { ...this.options.env, ...options.env }),
      cwd: options.cwd ?? this.options.cwd,
    });
    const processFile = await writeSpec(this.bundle, spec.process as never, `exec-${n}.json`);
    const pidFile = join(this.bundle, `exec-${n}.pid`);
    let marked!: () => void;
    const ended = new Promise<void>((resolve) => (marked = resolve));
    const onEnd = () => {
      if (stdout.ended && stderr.ended) marked();
    };
    const stdout = new StepStream(nonce, (chunk) => options.onStdout?.(chunk), onEnd);
    const stderr = new StepStream(nonce, (chunk) => options.onStderr?.(chunk), onEnd);
    const subprocess = spawnExec(this.runtime, this.id, processFile, pidFile, {
      stdin: 'ignore',
      onStdout: (chunk) => stdout.write(chunk),
      onStderr: (chunk) => stderr.write(chunk),
    });
    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          // runc exec forwards signals but cannot forward SIGKILL: kill the process (the wrapper's child) and the wrapper by host pid.
          readFile(pidFile, 'utf8')
            .then((pid) => killWithChildren(Number.parseInt(pid, 10)))
            .catch(() => subprocess.child.kill('SIGKILL'));
        }, options.timeoutMs)
      : undefined;
    try {
      let outcome = await Promise.race([ended.then(() => undefined), subprocess.done]);
      // The process has exited and its output is in. runc exits right after unless leftovers hold
      // its pipes: it is let go of only then, since killing it mid-exit costs the steps after it.
      if (outcome === undefined) outcome = await Promise.race([subprocess.done, delay(RUNTIME_EXIT_GRACE_MS, undefined)]);
      let info: ExitInfo;
      if (outcome === undefined) {
        subprocess.child.stdout?.destroy();
        subprocess.child.stderr?.destroy();
        subprocess.child.kill('SIGKILL');
        info = statusInfo(stdout.status!);
      } else {
        stdout.flush();
        stderr.flush();
        info = exitInfo(outcome);
      }
      return { ...info, timedOut, oomKilled: await this.wasOomKilled(info) };
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await runtimeKill(this.runtime, this.id, signal);
  }

  wait(): Promise<ExitInfo> {
    const monitor = this.options.monitor;
    if (monitor && !this.exited) {
      this.exited = waitForExit({ id: this.id, exitDir: monitor.exitDir, ...this.monitorState }, this.stopWatching.signal, () => this.lostMonitor!()).then(async (info) =>
        info.statusError ? info : { ...info, oomKilled: await this.wasOomKilled(info) },
      );
    }
    if (!this.exited) return Promise.reject(new DropshipError('CONTAINER_NOT_STARTED', `container ${this.id} was never started`, { hint: 'create containers with createContainer(), which starts them' }));
    return this.exited;
  }

  monitorLost(): Promise<void> {
    // Only to start watching: whoever awaits the exit hears of its failure.
    if (this.options.monitor) void this.wait().catch(() => undefined);
    return this.monitorLostOnce;
  }

  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  private async teardown(): Promise<void> {
    if (this.options.monitor) return this.teardownMonitored(this.options.monitor);
    try {
      // The cgroups can go once the container's processes are gone, the bundle once they are gone
      // and the rootfs is unmounted (its upper dir is in use until then). The host's rootfs mount
      // can go while the runtime deletes: the container has its own copy. A failed delete leaves
      // both for cleanupContainer: the container may still be running.
      const gone = allSettled([this.runtimeGone ? undefined : runtimeDelete(this.runtime, this.id), this.exited?.catch(() => undefined)]);
      const unmounted = unmountRootfs(this.bundle);
      await allSettled([gone.then(() => removeCgroups(this.id)), allSettled([gone, unmounted]).then(() => removeBundle(this.bundle))]);
    } finally {
      untrack(this);
    }
  }

  /**
   * `runc delete --force` kills the init; conmon reaps it, drains its output into the log,
   * writes the exit file and exits. Then the rootfs, cgroups, bundle and exit file go; the log
   * stays (it belongs to whoever reads the app's logs).
   */
  private async teardownMonitored(monitor: NonNullable<NormalizedContainerOptions['monitor']>): Promise<void> {
    try {
      await runtimeDelete(this.runtime, this.id);
      const exited = this.wait();
      // A monitor that died cannot write the file: do not wait for the liveness check to notice.
      if (!(await stillRunning(this.monitorState.conmon))) this.stopWatching.abort();
      // One that hangs on without writing it is killed by monitorGone().
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, MONITOR_EXIT_MS)))]);
      clearTimeout(timer);
      this.stopWatching.abort();
      await monitorGone(this.monitorState.conmon);
      await unmountRootfs(this.bundle);
      await removeCgroups(this.id);
      await Promise.all([removeBundle(this.bundle), rm(join(monitor.exitDir, this.id), { force: true })]);
    } finally {
      untrack(this);
    }
  }
}

/**
 * Create and start a hardened container: bundle, overlay rootfs, runtime spec, then the
 * runtime's `run` with the init's output streamed to the callbacks, or, with `monitor`,
 * detached under conmon (output to the log file, status to the exit file; see adoptContainer).
 * Resolves once init runs; on any failure everything created so far is removed.
 */
export async function createContainer(options: ContainerOptions & { monitor: NonNullable<ContainerOptions['monitor']> }): Promise<MonitoredContainer>;
export async function createContainer(options: ContainerOptions): Promise<Container>;
export async function createContainer(options: ContainerOptions): Promise<Container> {
  const { later, ...now } = options;
  // Handled whatever happens next: a rejection after an earlier failure (an invalid option) must
  // not go unhandled, which ends the process.
  later?.catch(() => undefined);
  const normalized = normalizeContainerOptions(now);
  const container = new RuntimeContainer(normalized);
  track(container);
  try {
    await container.start(
      later?.then((late) =>
        normalizeContainerOptions({
          ...now,
          id: normalized.id,
          env: { ...now.env, ...late.env },
          labels: { ...now.labels, ...late.labels },
          mounts: [...(now.mounts ?? []), ...(late.mounts ?? [])],
        }),
      ),
    );
  } catch (error) {
    // Someone else's bundle must survive a clash of ids.
    if ((error as DropshipError).code === 'CONTAINER_EXISTS') untrack(container);
    else await container.destroy().catch(() => undefined);
    throw error;
  }
  // A monitored container outlives this process: Ctrl-C of the creator must not destroy it.
  if (normalized.monitor) untrack(container);
  return container;
}
