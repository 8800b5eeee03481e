import { mainProcess, requireAppSpec, type ProcessSpec } from '../apps/index.js';
import type { ManifestProcess } from './manifest.js';
import type { PushPlan } from './push-options.js';
import { restoreSource } from './source-store.js';

/**
 * `dropship restage APP`, like `cf restage`: stage the source of the app's latest pushed release
 * again on the same stack with the same buildpacks (new buildpack or stack builds take effect),
 * keeping its current configuration, and replace the instances one at a time.
 */
export async function restagePlan(name: string): Promise<{ plan: PushPlan; cleanup: () => Promise<void> }> {
  const spec = await requireAppSpec(name);
  const web = mainProcess(spec);
  const seconds = (p: ProcessSpec) => Math.ceil(p.healthCheck.startTimeoutMs / 1000);
  // Every other process type as it is now (instances, limits, command, health check).
  const others = spec.processes.filter((p) => p !== web).map((p): ManifestProcess => ({
    type: p.type,
    instances: p.instances,
    memoryBytes: p.memoryBytes,
    diskBytes: p.diskBytes,
    healthCheckType: p.healthCheck.type,
    healthCheckHttpEndpoint: p.healthCheck.endpoint,
    timeoutSeconds: seconds(p),
    ...(p.command === undefined ? {} : { command: p.command }),
  }));
  const source = await restoreSource(name);
  const plan: PushPlan = {
    name: spec.name,
    path: source.dir,
    buildpacks: source.buildpacks,
    stack: source.stack,
    command: web.command,
    instances: web.instances,
    memoryBytes: web.memoryBytes,
    diskBytes: web.diskBytes,
    env: spec.env,
    hostPort: spec.hostPort,
    healthCheck: { type: web.healthCheck.type, endpoint: web.healthCheck.endpoint, timeoutSeconds: seconds(web) },
    processes: others,
    noStart: false,
    strategy: 'rolling',
  };
  return { plan, cleanup: source.cleanup };
}
