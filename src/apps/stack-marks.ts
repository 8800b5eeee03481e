import { homePaths } from '../home.js';
import { inspectAppImage } from '../sandbox/index.js';
import { currentStackBuild } from '../stack/stack-file.js';
import { readRelease } from './releases.js';
import type { AppSpec, InstanceStatus, ReleaseContent, ReleaseStack } from './state.js';

/**
 * The stack under a release: what it recorded, or, for a release made before releases recorded
 * their stack, what its image says (the io.dropship.stack label and the bottom layer's diff_id,
 * as the release would have recorded them; only the manifest and config are read). Null: the
 * image names no stack. Undefined: not recorded, and the image is not in the store to say.
 */
export async function releaseStack(release: Pick<ReleaseContent, 'stack' | 'imageDigest'>): Promise<ReleaseStack | null | undefined> {
  if (release.stack !== undefined) return release.stack;
  return (await inspectAppImage(release.imageDigest).catch(() => undefined))?.stack;
}

/** What `ps` says of the stack under a release: its build against the stack's current one. */
export interface StackMark {
  name: string;
  /** The build the release's image sits on (diff_id). */
  build: string;
  /** The stack's current build in this store; absent when it was never built here. */
  current?: string;
  /** The release runs an older build than the current one: `dropship repave` moves it. */
  outdated: boolean;
}

/**
 * The stack mark of each release in use (the current one and those instances still run), from
 * what each release recorded and the stacks' build records; only a release from before stacks
 * were recorded has its image's config read (releaseStack). An image that names no stack has no
 * mark (`null`, shown `-`); one that cannot be told (unrecorded, image gone) is undefined (`unknown`).
 */
export async function stackMarks(spec: AppSpec, instances: InstanceStatus[]): Promise<Map<number, StackMark | null | undefined>> {
  const marks = new Map<number, StackMark | null | undefined>();
  const current = new Map<string, Promise<string | undefined>>();
  const currentBuild = (name: string) => {
    // A damaged stack record leaves the build unknown rather than failing ps.
    if (!current.has(name)) current.set(name, currentStackBuild(homePaths(), name).catch(() => undefined));
    return current.get(name)!;
  };
  for (const version of new Set([spec.release, ...instances.flatMap((i) => (i.release === undefined ? [] : [i.release]))])) {
    const release = version === spec.release ? spec : await readRelease(spec.name, version).catch(() => undefined);
    const stack = release && (await releaseStack(release));
    if (!stack) {
      marks.set(version, stack);
      continue;
    }
    const build = await currentBuild(stack.name);
    marks.set(version, { name: stack.name, build: stack.build, ...(build ? { current: build } : {}), outdated: build !== undefined && build !== stack.build });
  }
  return marks;
}
