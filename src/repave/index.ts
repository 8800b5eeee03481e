// The repave room: move every app that runs an older build of its stack onto the current one —
// rebase (a manifest rewrite, no restage), a release, a rolling replacement — and roll back an
// app whose new instances fail.
import { type CoordinatorOptions, type RepaveResult, runRepave } from './coordinator.js';
import { appsOnStacks, currentStacks, liveSeams } from './live.js';
import { type RepavePlan, outdatedCounts, planRepave } from './plan.js';

export { type RepaveEvent, type RepaveResult, type RepaveSeams, type RepaveStep, runRepave } from './coordinator.js';
export { type AppOnStack, type RepaveItem, type RepavePlan, outdatedCounts, planRepave } from './plan.js';

/** Which apps run an older build (of `stack`, or of any stack). */
export async function repavePlan(stack?: string): Promise<RepavePlan> {
  const [apps, stacks] = await Promise.all([appsOnStacks(), currentStacks()]);
  return planRepave(apps, stacks, stack);
}

/** How many apps run an older build, per stack. */
export async function outdatedApps(): Promise<Map<string, number>> {
  return outdatedCounts(await repavePlan());
}

export async function repave(plan: RepavePlan, options: CoordinatorOptions): Promise<RepaveResult[]> {
  return runRepave(plan.todo, liveSeams(), options);
}
