import type { ExitInfo } from '../container/types.js';
import type { InstanceUsage } from './instance-usage.js';

/** A started (or adopted) instance, as the supervisor sees it: one monitored container and its network. */
export interface InstanceHandle {
  readonly containerId: string;
  /** The instance's own address; health checks and the data path connect to it. */
  readonly ip: string;
  /** conmon's log of the container's stdout and stderr (k8s-file). */
  readonly logPath: string;
  /** Host pid of the container's init. */
  readonly pid: number;
  /** From conmon's exit file: resolves at once for a container that exited while nobody watched. */
  wait(): Promise<ExitInfo>;
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Resolves once its conmon is gone while the container runs on: it can no longer be supervised. */
  monitorLost(): Promise<void>;
  /** Memory, CPU time and disk in use, from the container's cgroups and quota disk, as far as they can be read. */
  usage(): Promise<InstanceUsage>;
  /** Tear down network and container (the log file stays for the reader). Safe to call twice. */
  destroy(): Promise<void>;
}

export interface StartRequest {
  index: number;
  guid: string;
}

/** The supervisor's one seam to containers, images and networks: instances of one spec. */
export interface InstanceLauncher {
  /** The digest of the image every instance it starts runs, as resolved in the store. */
  readonly imageDigest: string;
  start(request: StartRequest): Promise<InstanceHandle>;
}
