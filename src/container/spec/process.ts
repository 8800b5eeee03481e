import { OCI_VERSION, type OciSpec } from './oci.js';
import type { SpecOptions } from './options.js';

/** The skeleton every other rule fills in: the process to run and the root filesystem. */
export function baseRule(_spec: OciSpec, options: SpecOptions): OciSpec {
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      user: { uid: options.user.uid, gid: options.user.gid, additionalGids: options.user.additionalGids },
      args: options.args,
      env: Object.entries(options.env).map(([key, value]) => `${key}=${value}`),
      cwd: options.cwd,
    },
    root: { path: options.rootfs, readonly: false },
    mounts: [],
    annotations: { ...options.annotations },
    linux: { namespaces: [], cgroupsPath: options.cgroupsPath },
  };
}
