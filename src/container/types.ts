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
  /** Called for each chunk of output while the process runs. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

export interface ExitInfo {
  exitCode: number;
  /** Set when the process died of a signal (e.g. 'SIGKILL'). */
  signal?: string;
  oomKilled: boolean;
  timedOut: boolean;
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
