import type { IDeployment, IStatefulSet } from 'kubernetes-models/apps/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { ISecret, IService } from 'kubernetes-models/v1';
import { DropshipError } from '../errors.js';
import { parseRegistryReference } from '../oci/registry/index.js';
import { envDigest, secretData } from './env.js';
import { egressRules } from './network-policy.js';
import { ANNOTATIONS, annotationsFor, appSelector, labelsFor, objectName, processSelector } from './names.js';
import { podSpec } from './pod.js';
import { profileRefs } from './profiles.js';
import type { KubeManifests, KubeMetadata, KubeObject, KubeProcess, KubeRelease } from './types.js';

/** Each literal below is checked against its own kind's API type (a union would let fields of other kinds through). */
type Named = { metadata: KubeMetadata };

function invalid(field: string, message: string, hint: string): DropshipError {
  return new DropshipError('KUBE_INVALID_RELEASE', `${field}: ${message}`, { hint });
}

/** Refuse what would make manifests that run something else than the release, or nothing. */
function checkRelease(release: KubeRelease): void {
  const ref = parseRegistryReference(release.imageRef);
  if (!ref.digest || ref.tag !== undefined) {
    throw invalid('image', `'${release.imageRef}' is not a reference by digest`, 'refer to the image as REGISTRY/REPO@sha256:…; a tag can move under a running cluster');
  }
  if (!release.processes.length) throw invalid('processes', `app ${release.app} has no process types`, 'push the app first');
  const seen = new Set<string>();
  for (const p of release.processes) {
    const where = `process '${p.type}'`;
    if (seen.has(p.type)) throw invalid(where, 'appears twice', 'give process types distinct names');
    seen.add(p.type);
    if (!Number.isInteger(p.instances) || p.instances < 0) throw invalid(`${where}: instances`, `${p.instances} is not a whole number ≥ 0`, 'scale it with `dropship scale`');
    for (const [field, value] of [['memoryBytes', p.memoryBytes], ['diskBytes', p.diskBytes]] as const) {
      if (!Number.isSafeInteger(value) || value <= 0) throw invalid(`${where}: ${field}`, `${value} is not a positive number of bytes`, 'set memory and disk with -m and -k');
    }
    for (const [field, value] of [['timeoutSeconds', p.healthCheck.timeoutSeconds], ['stopTimeoutSeconds', p.stopTimeoutSeconds]] as const) {
      if (!Number.isInteger(value) || value < 0) throw invalid(`${where}: ${field}`, `${value} is not a whole number of seconds`, 'use whole seconds');
    }
    if (p.healthCheck.type === 'http' && p.healthCheck.endpoint !== undefined && !p.healthCheck.endpoint.startsWith('/')) {
      throw invalid(`${where}: health check endpoint`, `'${p.healthCheck.endpoint}' is not a path`, 'write an endpoint like /health');
    }
  }
}

function meta(release: KubeRelease, name: string, type?: string): KubeMetadata {
  return {
    name,
    ...(release.namespace ? { namespace: release.namespace } : {}),
    labels: labelsFor(release, type),
    annotations: annotationsFor(release),
  };
}

function workload(release: KubeRelease, process: KubeProcess, secretName: string, envHash: string, profiles: ReturnType<typeof profileRefs>): KubeObject {
  const statefulSet = (release.workload ?? 'StatefulSet') === 'StatefulSet';
  const name = objectName(`${release.app}-${process.type}`);
  const template = {
    metadata: {
      labels: { ...labelsFor(release, process.type), ...processSelector(release, process.type) },
      annotations: { ...annotationsFor(release), [ANNOTATIONS.envDigest]: envHash },
    },
    spec: podSpec({ release, process, secretName, profiles, indexed: statefulSet }),
  };
  const selector = { matchLabels: processSelector(release, process.type) };
  if (statefulSet) {
    return {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta(release, name, process.type),
      spec: {
        replicas: process.instances,
        // The governing Service: the app's web Service (instances are not addressed one by one).
        serviceName: objectName(release.app),
        // Parallel: instances start together, as Cloud Foundry starts them, not one after another.
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate' },
        selector,
        template,
      },
    } satisfies IStatefulSet & Named;
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(release, name, process.type),
    spec: {
      replicas: process.instances,
      // A new pod is healthy before an old one goes, even with one instance (Korifi's complaint).
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      selector,
      template,
    },
  } satisfies IDeployment & Named;
}

/**
 * An app's release as Kubernetes objects: a Secret (env, VCAP_SERVICES), an egress NetworkPolicy
 * from the running security groups, a Service for web, and one workload per process type; plus
 * the profile files the nodes need and warnings for what Kubernetes cannot express. Pure: it reads
 * nothing but its argument.
 */
export function kubeManifests(release: KubeRelease): KubeManifests {
  checkRelease(release);
  const profiles = profileRefs(release.seccomp, release.apparmor);
  const { egress, warnings } = egressRules(release.securityGroupRules);
  const secretName = `${objectName(release.app)}-env`;
  const data = secretData(release);
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Secret', metadata: meta(release, secretName), type: 'Opaque', data } satisfies ISecret & Named,
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(release, `${objectName(release.app)}-egress`),
      spec: { podSelector: { matchLabels: appSelector(release) }, policyTypes: ['Egress'], egress },
    } satisfies INetworkPolicy & Named,
  ];
  const web = release.processes.find((p) => p.type === 'web');
  if (web) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(release, objectName(release.app), 'web'),
      spec: { type: 'ClusterIP', selector: processSelector(release, 'web'), ports: [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' }] },
    } satisfies IService & Named);
  }
  const envHash = envDigest(data);
  for (const process of release.processes) objects.push(workload(release, process, secretName, envHash, profiles));
  return { objects, files: profiles.files, warnings };
}
