import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import type { HomePaths } from '../home.js';
import type { Digest } from '../oci/index.js';
import { readTextIfExists } from '../util/fs.js';
import { isValidName } from '../util/names.js';

// stacks/<name>.json, the record of a stack's builds, read with nothing but fs: `ps` compares
// each release's stack build with the current one, and ps may not load the stack room's build
// code (it stays a light daemon query, issue 11).

/** One build of a stack: its layer in the store and where it came from. */
export interface StackBuild {
  diffId: Digest;
  digest: Digest;
  size: number;
  mediaType: string;
  /** ISO 8601. */
  builtAt: string;
  recipeDigest: Digest;
  /** The build's SPDX 2.3 SBOM (stacks/<name>/<diff_id hex>.spdx.json): its digest and package count. Absent in builds from before SBOMs. */
  sbom?: { digest: Digest; packages: number };
}

/** The current build of a stack, with earlier builds (newest first) so images can be rebased from them. */
export interface StackInfo extends StackBuild {
  name: string;
  history: StackBuild[];
}

export function stackFile(home: HomePaths, name: string): string {
  return join(home.stacks, `${name}.json`);
}

export async function readStack(home: HomePaths, name: string): Promise<StackInfo | undefined> {
  const path = stackFile(home, name);
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  try {
    const info = JSON.parse(text) as StackInfo;
    return { ...info, history: info.history ?? [] };
  } catch (error) {
    throw new DropshipError('STACK_METADATA_CORRUPT', `${path} is not valid JSON`, {
      cause: error,
      hint: `rebuild the stack: dropship stack build ${name} --force`,
    });
  }
}

/**
 * The diff_id of the stack's current build, or undefined when this store never built it. The
 * name comes from an image label (any pulled image may carry one), so one that is not a plain
 * store name reads nothing.
 */
export async function currentStackBuild(home: HomePaths, name: string): Promise<Digest | undefined> {
  if (!isValidName(name)) return undefined;
  return (await readStack(home, name))?.diffId;
}
