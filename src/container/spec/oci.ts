import type { SeccompProfile } from '../../security/seccomp/profile.js';
import type { IdMapping } from '../../security/idmap.js';

/** The subset of the OCI runtime spec (1.0.2, what runc 1.1.5 reads) that dropship writes. */
export const OCI_VERSION = '1.0.2-dev';

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable: string[];
  ambient: string[];
}

export interface OciProcess {
  terminal: boolean;
  user: { uid: number; gid: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities?: OciCapabilities;
  rlimits?: Array<{ type: string; hard: number; soft: number }>;
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
}

export interface OciResources {
  devices?: Array<{ allow: boolean; access?: string; type?: string; major?: number; minor?: number }>;
  memory?: { limit?: number; swap?: number };
  cpu?: { shares?: number };
  pids?: { limit: number };
}

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: {
    uidMappings?: IdMapping[];
    gidMappings?: IdMapping[];
    namespaces: Array<{ type: string; path?: string }>;
    resources?: OciResources;
    cgroupsPath?: string;
    seccomp?: SeccompProfile;
    maskedPaths?: string[];
    readonlyPaths?: string[];
  };
}
