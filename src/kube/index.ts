// The kube room: an app's release as Kubernetes objects (pure), and the few steps around it
// (push by digest, write files, apply). Only the CLI imports it.
export { kubeManifests } from './manifests.js';
export { toYaml } from './yaml.js';
export { writeManifests } from './output.js';
export { releaseFromApp, type AppRelease } from './from-app.js';
export { publishImage, parseRegistryTarget, type PublishOptions } from './publish.js';
export { applyObjects } from './apply.js';
export type { KubeRelease, KubeProcess, KubeManifests, KubeObject, KubeFile, ProfileChoice, WorkloadKind } from './types.js';
