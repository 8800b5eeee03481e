import type { Containment } from '../util/contained-path.js';
import type { IdMap } from '../security/idmap.js';
import type { ResultJson } from './metadata.js';

/** Unpacked layer directories of a stack, bottom first. */
export type StackRootfs = (stack: string, idMap: IdMap, home?: string) => Promise<string[]>;

export type StagingPhase = 'download' | 'upload' | 'detect' | 'supply' | 'finalize' | 'compile' | 'release' | 'package' | 'cache';

export type StagingEvent =
  | { type: 'phase'; phase: StagingPhase; status: 'start' | 'done' | 'skipped' | 'failed'; title: string; buildpack?: string; durationMs?: number }
  /** Once the buildpacks that will run are known (after detection, or at once when named). */
  | { type: 'plan'; buildpacks: Array<{ name: string; steps: StagingPhase[] }>; detected?: string }
  | { type: 'log'; line: string; stream: 'stdout' | 'stderr' | 'platform' }
  | { type: 'warning'; message: string };

export interface StagingOptions {
  appDir: string;
  /**
   * Where `appDir` must be at the moment it is copied (a manifest's `path:`, checked when the push
   * was planned): judged again on the opened directory, so a symlink swapped in since cannot
   * redirect the copy to a host directory.
   */
  appDirWithin?: Containment;
  /** `-b` values in order; none: detect with the detect order. */
  buildpacks?: string[];
  /**
   * The app file that named `buildpacks` (its manifest.yml), when the operator did not: their URLs
   * may then only reach public addresses (DROPSHIP_ALLOW_PRIVATE_BUILDPACK_URLS=1 lifts that).
   */
  buildpacksFrom?: string;
  /** Default `tiny`. */
  stack?: string;
  /** App name: keys the cache. Default: the app directory's name. */
  name?: string;
  env?: Record<string, string>;
  /** Start command for `web`, above the Procfile and the buildpack's release. */
  command?: string;
  /** Default `./droplet.tgz`. */
  dropletPath?: string;
  /**
   * Default `fast` (gzip level 1). `store` keeps the gzip framing without compressing: packing
   * takes about half the time for a droplet 2.5× the size, for a droplet read once right away
   * (push builds the image from it and deletes it).
   */
  dropletCompression?: 'fast' | 'store';
  /** Default `result.json` beside the droplet. Written on failure too. */
  resultPath?: string;
  /** Default 15m. A string like `15m` or milliseconds. */
  timeout?: string | number;
  /** Default 1G. A string like `1G` or bytes. */
  memory?: string | number;
  /**
   * Default 4G. A string like `4G` or bytes: the build dir, deps, cache and the staging
   * container's writable layer together may not grow beyond it.
   */
  disk?: string | number;
  noCache?: boolean;
  /** Output one staging may print before it is stopped; default 256M. */
  maxOutput?: string | number;
  services?: Record<string, unknown>;
  runtime?: 'runc' | 'crun';
  idMap?: IdMap;
  home?: string;
  /**
   * Default true: the staging container gets an address on the bridge, the host's nameservers
   * and the staging security groups. false: loopback only (offline or vendored builds).
   */
  network?: boolean;
  /** Where the stack's layers come from; default the stack room. */
  rootfs?: StackRootfs;
  onEvent?: (event: StagingEvent) => void;
  signal?: AbortSignal;
}

export interface StagingResult {
  app: string;
  stack: string;
  droplet: { path: string; digest: string; bytes: number };
  resultPath: string;
  result: ResultJson;
  detectedBuildpack: string;
  startCommand: string;
  processTypes: Record<string, string>;
  warnings: string[];
  cache: { dir: string; reused: boolean; bytes: number; pruned: string[] };
  /** Milliseconds per phase and for the buildpack scripts alone, to see where time went. */
  timings: { totalMs: number; scriptsMs: number; phases: Partial<Record<StagingPhase, number>> };
}
