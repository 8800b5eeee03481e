/** Where a buildpack came from, as the user named it. */
export type BuildpackSource = 'builtin' | 'registered' | 'directory' | 'archive' | 'url' | 'git';

/** A buildpack ready to mount: a local directory with `bin/`. */
export interface Buildpack {
  /** Stable key (Cloud Foundry's `buildpack_key`): the name for built-in/registered ones, else the path or URL given. */
  key: string;
  name: string;
  version: string;
  /** Stacks it declares; empty means it does not say (any stack). */
  stacks: string[];
  source: BuildpackSource;
  /** Host directory holding `bin/`. */
  dir: string;
  /** `v2` (or absent), or the Buildpack API of a Cloud Native Buildpack (it has buildpack.toml). */
  api?: string;
  /** For a git buildpack: the commit its ref resolved to. */
  commit?: string;
}

/** One row of `dropship buildpacks`: the detect order. */
export interface BuildpackListing {
  position: number;
  name: string;
  version: string;
  stacks: string[];
  /** `v2` or the Buildpack API of a Cloud Native Buildpack. */
  api: string;
  source: 'builtin' | 'registered' | 'group';
  /** Where it was registered from (path or URL), or the built-in directory; a group's members. */
  origin: string;
  /** An order group's members (`buildpack create --group`). */
  members?: Array<{ id: string; version?: string; optional: boolean }>;
}
