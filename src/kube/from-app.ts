import { listAppNames, readAppSpec, requireAppSpec, type AppSpec } from '../app/state.js';
import { listSecurityGroups } from '../network/index.js';
import type { SecurityGroupRule } from '../network/types.js';
import type { KubeProcess, KubeRelease } from './types.js';

/** What the rest of `dropship kube` needs from the app's state: the release without its registry reference. */
export interface AppRelease {
  /** The image in dropship's store (NAME:TAG) that runs the app today. */
  storeImage: string;
  release: Omit<KubeRelease, 'imageRef' | 'namespace' | 'seccomp' | 'apparmor' | 'workload'>;
}

function processOf(spec: AppSpec): KubeProcess {
  return {
    type: spec.processType,
    ...(spec.command === undefined ? {} : { command: spec.command }),
    instances: spec.instances,
    memoryBytes: spec.memoryBytes,
    diskBytes: spec.diskBytes,
    healthCheck: {
      type: spec.healthCheck.type,
      endpoint: spec.healthCheck.endpoint,
      timeoutSeconds: Math.ceil(spec.healthCheck.startTimeoutMs / 1000),
    },
    stopTimeoutSeconds: Math.ceil(spec.stopTimeoutMs / 1000),
  };
}

/** Rules of the groups bound to running containers: globally, or to one of these app names. */
async function runningRules(apps: string[]): Promise<SecurityGroupRule[]> {
  const groups = await listSecurityGroups();
  return groups
    .filter((g) => g.bindings.some((b) => b.kind === 'running' && (b.app === undefined || apps.includes(b.app))))
    .flatMap((g) => g.rules);
}

/**
 * The adapter from today's app state (src/app/state.ts: one app per process type, `APP-TYPE` for
 * all but web, as push creates them) to the kube input. The only file of src/kube that reads
 * dropship's state, so moving to digest-pinned releases changes this file alone.
 */
export async function releaseFromApp(app: string): Promise<AppRelease> {
  const web = await requireAppSpec(app);
  const others: AppSpec[] = [];
  for (const name of await listAppNames()) {
    if (!name.startsWith(`${app}-`)) continue;
    const spec = await readAppSpec(name);
    // Push names companions APP-TYPE and runs them on the same image; anything else is another app.
    if (spec && spec.processType !== 'web' && name === `${app}-${spec.processType}` && spec.image === web.image) others.push(spec);
  }
  const specs = [web, ...others];
  return {
    storeImage: web.image,
    release: {
      app: web.name,
      appId: web.id,
      processes: specs.map(processOf),
      env: web.env,
      services: web.services,
      securityGroupRules: await runningRules(specs.map((s) => s.name)),
    },
  };
}
