import { rm } from 'node:fs/promises';
import { DropshipError } from '../errors.js';
import type { HomePaths } from '../home.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { readdirIfExists } from '../util/fs.js';
import { sbomPath } from './sbom.js';
import { readStack, stackFile, type StackBuild, type StackInfo } from './stack-file.js';

export { readStack, type StackBuild, type StackInfo } from './stack-file.js';

/** Earlier builds kept for rebase and gc; older ones are forgotten (their layers become garbage). */
const HISTORY_LIMIT = 10;

/**
 * Record a new build as current; the previous current build moves into the history. SBOMs of
 * builds that fall off the history go with them, as their layers do at the next gc.
 */
export async function recordBuild(home: HomePaths, name: string, build: StackBuild): Promise<StackInfo> {
  const previous = await readStack(home, name);
  const all = (previous ? [pickBuild(previous), ...previous.history] : []).filter((b) => b.digest !== build.digest);
  const info: StackInfo = { name, ...pickBuild(build), history: all.slice(0, HISTORY_LIMIT) };
  await writeJsonAtomic(stackFile(home, name), info);
  for (const dropped of all.slice(HISTORY_LIMIT)) await rm(sbomPath(home, name, dropped.diffId), { force: true });
  return info;
}

/** Every recorded build of a stack, newest first. */
export function stackBuilds(info: StackInfo): StackBuild[] {
  return [pickBuild(info), ...info.history];
}

/**
 * A build named by the user: `current`, `previous`, `~N` (N builds before the current one) or
 * the first hex digits of its diff_id (as `stack ls`/`stack history` show them).
 */
export function findBuild(info: StackInfo, ref: string): StackBuild {
  const builds = stackBuilds(info);
  const back = ref === 'current' ? 0 : ref === 'previous' ? 1 : /^~\d+$/.test(ref) ? Number(ref.slice(1)) : undefined;
  const hex = ref.replace(/^sha256:/, '').toLowerCase();
  const found =
    back !== undefined ? builds[back] : /^[0-9a-f]{4,64}$/.test(hex) ? onlyMatch(builds.filter((b) => b.diffId.slice('sha256:'.length).startsWith(hex)), info.name, ref) : undefined;
  if (!found) {
    throw new DropshipError('STACK_BUILD_NOT_FOUND', `stack ${info.name} has no build '${ref}' (${builds.length} recorded)`, {
      hint: `name a build as current, previous, ~N or a diff_id prefix from dropship stack history ${info.name}`,
    });
  }
  return found;
}

function onlyMatch(matches: StackBuild[], name: string, ref: string): StackBuild | undefined {
  if (matches.length > 1) {
    throw new DropshipError('STACK_BUILD_AMBIGUOUS', `'${ref}' matches ${matches.length} builds of stack ${name}`, { hint: 'give more hex digits of the diff_id' });
  }
  return matches[0];
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
    ...(info.sbom ? { sbom: { digest: info.sbom.digest, packages: info.sbom.packages } } : {}),
  };
}
