import type { StackInfo } from '../stack/index.js';

/** What repave needs to know of one app: its current release and the stack build its image sits on. */
export interface AppOnStack {
  app: string;
  release: number;
  image: string;
  imageDigest: string;
  /** From the image's labels (io.dropship.stack, io.dropship.stack.digest); undefined when it has none. */
  stack?: string;
  stackDiffId?: string;
}

export interface RepaveItem extends AppOnStack {
  stack: string;
  stackDiffId: string;
  /** The stack's current build: where the app goes. */
  target: string;
  /** How many builds behind the current one the app's build is (-1: not in the stack's history any more). */
  behind: number;
}

export interface RepavePlan {
  todo: RepaveItem[];
  upToDate: AppOnStack[];
  /** Apps repave leaves alone, and why (no stack label, a stack never built, another stack than asked). */
  skipped: Array<AppOnStack & { reason: string }>;
}

/**
 * Which apps run an older build of their stack. Pure: the caller reads desired state and image
 * labels, so this decision is tested without containers. An app whose build is not in the
 * stack's history still goes (it is outdated all the same), marked behind = -1.
 */
export function planRepave(apps: AppOnStack[], stacks: StackInfo[], only?: string): RepavePlan {
  const byName = new Map(stacks.map((s) => [s.name, s]));
  const plan: RepavePlan = { todo: [], upToDate: [], skipped: [] };
  for (const app of [...apps].sort((a, b) => (a.app < b.app ? -1 : 1))) {
    // Another stack's apps are not this run's business; an app of unknown stack is reported either way.
    if (only !== undefined && app.stack !== undefined && app.stack !== only) continue;
    if (app.stack === undefined || app.stackDiffId === undefined) {
      plan.skipped.push({ ...app, reason: 'its image is not in the store, or has no io.dropship.stack label' });
      continue;
    }
    const stack = byName.get(app.stack);
    if (!stack) {
      plan.skipped.push({ ...app, reason: `stack ${app.stack} is not built here` });
      continue;
    }
    if (stack.diffId === app.stackDiffId) {
      plan.upToDate.push(app);
      continue;
    }
    const index = stack.history.findIndex((b) => b.diffId === app.stackDiffId);
    plan.todo.push({ ...app, stack: app.stack, stackDiffId: app.stackDiffId, target: stack.diffId, behind: index === -1 ? -1 : index + 1 });
  }
  return plan;
}

/** Per stack: how many apps run an older build (for `stack ls`). */
export function outdatedCounts(plan: RepavePlan): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of plan.todo) counts.set(item.stack, (counts.get(item.stack) ?? 0) + 1);
  return counts;
}
