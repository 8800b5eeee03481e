import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where dropship keeps its state. Everything that must be renamed atomically lives under one
 * root so that temp files and their targets share a filesystem.
 */
export function dropshipHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DROPSHIP_HOME) return env.DROPSHIP_HOME;
  if (process.getuid?.() === 0) return '/var/lib/dropship';
  return join(homedir(), '.local', 'share', 'dropship');
}

export interface HomePaths {
  root: string;
  /** OCI image layout: oci-layout, index.json, blobs/sha256. */
  oci: string;
  /** Stack metadata, one JSON file per stack. */
  stacks: string;
  /** Unpacked layers, keyed by diff_id and id map. */
  unpacked: string;
  /** Container bundles (config.json, rootfs mount point, upper dir). */
  containers: string;
  /** Registered buildpacks and buildpacks fetched from URLs. */
  buildpacks: string;
  /** Staging caches, one per app name. */
  cache: string;
  /** Running apps: state, logs, supervisor socket. */
  apps: string;
  /** Network leases and security groups. */
  network: string;
  /** Temp files, on the same filesystem as their targets. */
  tmp: string;
  /** Lock files. */
  locks: string;
}

export function homePaths(root: string = dropshipHome()): HomePaths {
  return {
    root,
    oci: join(root, 'oci'),
    stacks: join(root, 'stacks'),
    unpacked: join(root, 'unpacked'),
    containers: join(root, 'containers'),
    buildpacks: join(root, 'buildpacks'),
    cache: join(root, 'cache'),
    apps: join(root, 'apps'),
    network: join(root, 'network'),
    tmp: join(root, 'tmp'),
    locks: join(root, 'locks'),
  };
}
