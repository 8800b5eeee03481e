import { homePaths } from '../home.js';
import { currentStackBuild } from '../stack/stack-file.js';
import { readRelease } from './releases.js';
import type { AppSpec, InstanceStatus } from './state.js';

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
 * what each release recorded and the stacks' build records: no image is opened, so `ps` stays a
 * light query. A release from before stacks were recorded, or on an image that names no stack,
 * has no mark (`null`; `ps` shows `?` or `-`, `repave --dry-run` reads the image).
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
    const stack = version === spec.release ? spec.stack : (await readRelease(spec.name, version).catch(() => undefined))?.stack;
    if (!stack) {
      marks.set(version, stack);
      continue;
    }
    const build = await currentBuild(stack.name);
    marks.set(version, { name: stack.name, build: stack.build, ...(build ? { current: build } : {}), outdated: build !== undefined && build !== stack.build });
  }
  return marks;
}
