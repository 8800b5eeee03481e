import type { ExitInfo } from '../container/types.js';

/** A started instance, as the supervisor sees it: one container and its network. */
export interface InstanceHandle {
  readonly containerId: string;
  /** The instance's own address; health checks and the router connect to it. */
  readonly ip: string;
  wait(): Promise<ExitInfo>;
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Memory in use from the container's cgroup, when it can be read. */
  memoryBytes(): Promise<number | undefined>;
  /** Tear down network and container. Safe to call twice. */
  destroy(): Promise<void>;
}

export interface StartRequest {
  index: number;
  guid: string;
  onOutput: (stream: 'out' | 'err', chunk: Buffer) => void;
}

/** The supervisor's one seam to containers, images and networks: instances of one spec. */
export interface InstanceLauncher {
  /** The digest of the image every instance it starts runs, as resolved in the store. */
  readonly imageDigest: string;
  start(request: StartRequest): Promise<InstanceHandle>;
}
