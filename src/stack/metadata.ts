import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import type { HomePaths } from '../home.js';
import type { Digest } from '../oci/index.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { readdirIfExists, readTextIfExists } from '../util/fs.js';

/** One build of a stack: its layer in the store and where it came from. */
export interface StackBuild {
  diffId: Digest;
  digest: Digest;
  size: number;
  mediaType: string;
  /** ISO 8601. */
  builtAt: string;
  recipeDigest: Digest;
}

/** The current build of a stack, with earlier builds (newest first) so images can be rebased from them. */
export interface StackInfo extends StackBuild {
  name: string;
  history: StackBuild[];
}

/** Earlier builds kept for rebase and gc; older ones are forgotten (their layers become garbage). */
const HISTORY_LIMIT = 10;

function stackFile(home: HomePaths, name: string): string {
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

/** Record a new build as current; the previous current build moves into the history. */
export async function recordBuild(home: HomePaths, name: string, build: StackBuild): Promise<StackInfo> {
  const previous = await readStack(home, name);
  const history = previous ? [pickBuild(previous), ...previous.history] : [];
  const info: StackInfo = {
    name,
    ...build,
    history: history.filter((b) => b.digest !== build.digest).slice(0, HISTORY_LIMIT),
  };
  await writeJsonAtomic(stackFile(home, name), info);
  return info;
}

export async function readAllStacks(home: HomePaths): Promise<StackInfo[]> {
  const infos: StackInfo[] = [];
  for (const file of (await readdirIfExists(home.stacks)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
    const info = await readStack(home, file.slice(0, -'.json'.length));
    if (info) infos.push(info);
  }
  return infos;
}

function pickBuild(info: StackBuild): StackBuild {
  return {
    diffId: info.diffId,
    digest: info.digest,
    size: info.size,
    mediaType: info.mediaType,
    builtAt: info.builtAt,
    recipeDigest: info.recipeDigest,
  };
}
