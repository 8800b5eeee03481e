import type { IdMap } from '../../security/idmap.js';
import type { BindMount } from '../types.js';
import type { OciSpec } from './oci.js';

/** Everything the spec rules need, normalised once (see ../options.ts). */
export interface SpecOptions {
  args: string[];
  env: Record<string, string>;
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[] };
  hostname: string;
  rootfs: string;
  mounts: BindMount[];
  limits: { memoryBytes?: number; cpuShares: number; pids: number; nofile: number };
  idMap: IdMap;
  cgroupsPath: string;
  annotations: Record<string, string>;
  /** Host path of a static init (tini-static) to run as pid 1; exec'd processes have none. */
  init?: string;
  /** Set only when the profile is loaded in the kernel. */
  apparmorProfile?: string;
}

export type SpecRule = (spec: OciSpec, options: SpecOptions) => OciSpec;
