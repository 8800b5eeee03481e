import type { DropshipError } from '../errors.js';
import type { IdMap } from '../security/idmap.js';

/**
 * The contract of the container room. Callers (staging, app, tasks) hand it unpacked layer
 * directories; the container room never knows about images or stacks.
 */

export interface BindMount {
  source: string;
  destination: string;
  readonly?: boolean;
}

export type ContainerUser = 'vcap' | 'root' | { uid: number; gid: number; additionalGids?: number[] };

export interface ContainerLimits {
  /** Bytes; swap is set equal (no swap beyond the limit). */
  memoryBytes?: number;
  /** cgroup v1 cpu.shares; default computed from memory as DESIGN.md says. */
  cpuShares?: number;
  pids?: number;
  /** Per-container disk quota for the writable layer, bytes. */
  diskBytes?: number;
  /** RLIMIT_NOFILE. */
  nofile?: number;
}

/**
 * Run the container under conmon, a monitor that is not dropship's process: it is the
 * runtime's parent, writes the init's stdout and stderr to `logPath` and its exit status to
 * `exitDir/<id>`, so the container outlives the process that created it (see adoptContainer).
 */
export interface ContainerMonitor {
  /** Log file (conmon's k8s-file format, mode 0600); kept by destroy(). */
  logPath: string;
  /** Directory of exit files, one per container id (created 0700 if missing). */
  exitDir: string;
  /** Bytes; when the log would grow past this, conmon starts it afresh. Default 8 MiB. */
  logSizeMax?: number;
}

export interface ContainerOptions {
  /** Unique id; generated (`dropship-<random>`) when omitted. */
  id?: string;
  /** Unpacked layer directories, bottom (stack) first. Mounted read-only as overlay lowerdirs. */
  lowerDirs: string[];
  /** The container's init process. */
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  user?: ContainerUser;
  hostname?: string;
  mounts?: BindMount[];
  limits?: ContainerLimits;
  /** 'none': loopback only, in a network namespace of its own (the network room attaches a veth). */
  network?: 'none';
  runtime?: 'runc' | 'crun';
  idMap?: IdMap;
  /** Labels kept beside the bundle, so `gc` and adoption can tell whose container it is. */
  labels?: Record<string, string>;
  /**
   * Where the writable layer (upper and work dirs) goes instead of the bundle: an empty
   * directory the caller made and removes, on its own quota disk (staging keeps its build dir,
   * deps, cache and this layer under one limit).
   */
  writableDir?: string;
  /** Pass the caller's stdin to the process (tasks); otherwise nothing (an empty pipe for crun). */
  stdin?: 'inherit' | 'ignore';
  /** Called for each chunk of output while the process runs (not with `monitor`: output goes to its log). */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Detach the container under conmon (runc only). */
  monitor?: ContainerMonitor;
  /**
   * With `monitor`: called with the init's host pid once the runtime has created the container
   * (its namespaces exist, the init waits) and before the process starts, so that what it needs
   * from outside (its network) is there when it begins. A failure removes the container.
   */
  beforeStart?: (pid: number) => Promise<void>;
  /**
   * Env, labels and mounts known only once something else is done (a sandbox's come from its
   * network lease), added to those above: the bundle and rootfs are made while it is pending, the
   * spec once it resolves. A rejection fails the create like any step of it.
   */
  later?: Promise<Pick<ContainerOptions, 'env' | 'labels' | 'mounts'>>;
}

export interface ExitInfo {
  exitCode: number;
  /** Set when the process died of a signal (e.g. 'SIGKILL'). */
  signal?: string;
  oomKilled: boolean;
  timedOut: boolean;
  /**
   * Set when the status is unknown (exitCode is then -1): a monitored container's exit file was
   * garbage, or its monitor died and the init's status went to whoever reaped it.
   */
  statusError?: DropshipError;
}

export interface ExecOptions {
  env?: Record<string, string>;
  cwd?: string;
  user?: ContainerUser;
  timeoutMs?: number;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

export interface Container {
  readonly id: string;
  readonly bundle: string;
  /** Host pid of the container's init (for nsenter-free veth moves by the network room). */
  pid(): Promise<number>;
  /** Run another process inside the running container (staging steps). */
  exec(args: string[], options?: ExecOptions): Promise<ExitInfo>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Resolves when init exits. */
  wait(): Promise<ExitInfo>;
  /** Kill if running, delete from the runtime, unmount, remove the bundle. Safe to call twice. */
  destroy(): Promise<void>;
}

/**
 * A container under conmon (created with `monitor`, or adopted). Same lifecycle as any
 * Container; wait() reads the exit file, destroy() also waits for conmon to exit and removes
 * the exit file (the log stays).
 */
export interface MonitoredContainer extends Container {
  readonly logPath: string | undefined;
  /** exitDir/<id>: conmon writes the init's status there. */
  readonly exitFile: string | undefined;
  readonly labels: Record<string, string>;
  /** conmon's pid while this handle knows it alive at start or adoption. */
  readonly conmonPid: number | undefined;
  /**
   * Resolves (never rejects) once conmon is found gone while the init runs on without it: the
   * container's output has no reader and its exit will not be recorded, so it cannot be
   * supervised any more. Seen within a second of conmon's death, or at once for an adopted one.
   */
  monitorLost(): Promise<void>;
}
