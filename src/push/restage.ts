import { requireAppSpec } from '../apps/index.js';
import type { PushPlan } from './push-options.js';
import { restoreSource } from './source-store.js';

/**
 * `dropship restage APP`, like `cf restage`: stage the source of the app's latest pushed release
 * again on the same stack with the same buildpacks (new buildpack or stack builds take effect),
 * keeping its current configuration, and replace the instances one at a time.
 */
export async function restagePlan(name: string): Promise<{ plan: PushPlan; cleanup: () => Promise<void> }> {
  const spec = await requireAppSpec(name);
  const source = await restoreSource(name);
  const plan: PushPlan = {
    name: spec.name,
    path: source.dir,
    buildpacks: source.buildpacks,
    stack: source.stack,
    command: spec.command,
    memoryBytes: spec.memoryBytes,
    diskBytes: spec.diskBytes,
    env: spec.env,
    hostPort: spec.hostPort,
    healthCheck: { type: spec.healthCheck.type, endpoint: spec.healthCheck.endpoint, timeoutSeconds: Math.ceil(spec.healthCheck.startTimeoutMs / 1000) },
    processes: [],
    noStart: false,
    strategy: 'rolling',
  };
  return { plan, cleanup: source.cleanup };
}
