import { requireAppSpec, type AppSpec, type ProcessSpec } from '../apps/index.js';
import { listSecurityGroups } from '../network/index.js';
import { openStore, resolveImage } from '../oci/index.js';
import { cnbProcessTypes } from '../sandbox/index.js';
import type { SecurityGroupRule } from '../network/types.js';
import type { KubeProcess, KubeRelease } from './types.js';

/** What the rest of `dropship kube` needs from the app's state: the release without its registry reference. */
export interface AppRelease {
  /** The image in dropship's store (NAME:TAG) that runs the app today. */
  storeImage: string;
  /** The manifest digest the app's current release pins (what the cluster must run). */
  storeDigest: string;
  release: Omit<KubeRelease, 'imageRef' | 'namespace' | 'seccomp' | 'apparmor' | 'workload'>;
}

/** The process types of the release's image when Cloud Native Buildpacks built it (io.buildpacks.build.metadata). */
async function cnbTypesOf(spec: AppSpec): Promise<string[] | undefined> {
  // An image that is gone fails at publish, with its own error: here it only means no CNB override.
  const image = await resolveImage(openStore(), spec.imageDigest).catch(() => undefined);
  return image?.config.config ? cnbProcessTypes(image.config.config) : undefined;
}

/** As the daemon starts a CNB instance (sandbox imageArgs): a command through the launcher, a type by its link. */
function cnbEntrypoint(process: ProcessSpec, types: string[] | undefined): string[] | undefined {
  if (types === undefined) return undefined;
  if (process.command !== undefined) return ['/cnb/lifecycle/launcher'];
  return types.includes(process.type) ? [`/cnb/process/${process.type}`] : undefined;
}

function processOf(spec: AppSpec, process: ProcessSpec, cnbTypes: string[] | undefined): KubeProcess {
  const entrypoint = cnbEntrypoint(process, cnbTypes);
  return {
    type: process.type,
    ...(process.command === undefined ? {} : { command: process.command }),
    ...(entrypoint ? { entrypoint } : {}),
    instances: process.instances,
    memoryBytes: process.memoryBytes,
    diskBytes: process.diskBytes,
    healthCheck: {
      type: process.healthCheck.type,
      endpoint: process.healthCheck.endpoint,
      timeoutSeconds: Math.ceil(process.healthCheck.startTimeoutMs / 1000),
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
 * The adapter from the app's current release (src/apps: every process type of the app, web
 * first) to the kube input. The only file of src/kube that reads dropship's state.
 */
export async function releaseFromApp(app: string): Promise<AppRelease> {
  const spec = await requireAppSpec(app);
  const cnbTypes = await cnbTypesOf(spec);
  return {
    storeImage: spec.image,
    storeDigest: spec.imageDigest,
    release: {
      app: spec.name,
      releaseVersion: spec.release,
      appId: spec.id,
      processes: spec.processes.map((p) => processOf(spec, p, cnbTypes)),
      env: spec.env,
      services: spec.services,
      securityGroupRules: await runningRules([spec.name]),
    },
  };
}
