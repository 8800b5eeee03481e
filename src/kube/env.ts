import { createHash } from 'node:crypto';
import type { IEnvVar } from 'kubernetes-models/v1';
import { DEFAULT_NOFILE } from '../container/options.js';
import { DropshipError } from '../errors.js';
import type { KubeProcess, KubeRelease } from './types.js';

const PORT = 8080;
const MiB = 1024 * 1024;

/** Set by Kubernetes ≥ 1.28 on every StatefulSet pod: the ordinal, i.e. Cloud Foundry's instance index. */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

/** Names the platform sets; the user's env (from the Secret, which `env` overrides anyway) may not claim them. */
const RESERVED = /^(PORT|VCAP_APP_PORT|VCAP_APP_HOST|VCAP_APPLICATION|VCAP_SERVICES|MEMORY_LIMIT|INSTANCE_INDEX|INSTANCE_GUID|CF_INSTANCE_[A-Z_]+)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Kubernetes expands `$(NAME)` in env values and args; a literal value must not be rewritten by that,
 * so `$` is doubled (`$$` is how Kubernetes spells a literal `$`).
 */
export function literal(value: string): string {
  return value.replace(/\$/g, '$$$$');
}

const fieldRef = (name: string, fieldPath: string): IEnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/**
 * The instance environment of DESIGN.md in Kubernetes terms. Per-pod values come from the
 * downward API: the instance index from the StatefulSet's pod-index label, the guid from the pod
 * uid, the address from the pod IP. VCAP_APPLICATION is the same JSON for every pod, without
 * instance_index: the image's launcher adds it from INSTANCE_INDEX at start, as it does for any
 * platform that leaves it out.
 */
export function platformEnv(release: KubeRelease, process: KubeProcess, indexed: boolean): IEnvVar[] {
  const vcapApplication = {
    application_id: release.appId ?? release.app,
    application_name: release.app,
    application_uris: [],
    application_version: release.releaseVersion === undefined ? release.imageRef : String(release.releaseVersion),
    host: '0.0.0.0',
    limits: { mem: Math.floor(process.memoryBytes / MiB), disk: Math.floor(process.diskBytes / MiB), fds: DEFAULT_NOFILE },
    name: release.app,
    port: PORT,
    process_type: process.type,
    space_name: release.namespace ?? 'default',
    uris: [],
  };
  return [
    { name: 'PORT', value: String(PORT) },
    { name: 'VCAP_APP_PORT', value: String(PORT) },
    { name: 'VCAP_APP_HOST', value: '0.0.0.0' },
    { name: 'MEMORY_LIMIT', value: `${Math.floor(process.memoryBytes / MiB)}m` },
    ...(indexed ? [fieldRef('INSTANCE_INDEX', `metadata.labels['${POD_INDEX_LABEL}']`), fieldRef('CF_INSTANCE_INDEX', `metadata.labels['${POD_INDEX_LABEL}']`)] : []),
    fieldRef('INSTANCE_GUID', 'metadata.uid'),
    fieldRef('CF_INSTANCE_GUID', 'metadata.uid'),
    fieldRef('CF_INSTANCE_IP', 'status.podIP'),
    fieldRef('CF_INSTANCE_INTERNAL_IP', 'status.podIP'),
    { name: 'CF_INSTANCE_PORT', value: String(PORT) },
    { name: 'CF_INSTANCE_ADDR', value: `$(CF_INSTANCE_IP):${PORT}` },
    { name: 'CF_INSTANCE_PORTS', value: JSON.stringify([{ external: PORT, internal: PORT }]) },
    { name: 'VCAP_APPLICATION', value: literal(JSON.stringify(vcapApplication)) },
  ];
}

/**
 * The Secret's data: the user's env and VCAP_SERVICES (service credentials), base64 as the API
 * wants it. Names are checked here too: the Secret's keys become variable names through envFrom.
 */
export function secretData(release: KubeRelease): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [name, value] of Object.entries(release.env)) {
    if (!ENV_NAME.test(name)) {
      throw new DropshipError('KUBE_INVALID_ENV', `app ${release.app}: env name '${name}' is not a variable name`, {
        hint: 'env names are letters, digits and _, not starting with a digit; fix it with `dropship push -e` or the manifest',
      });
    }
    if (RESERVED.test(name)) {
      throw new DropshipError('KUBE_RESERVED_ENV', `app ${release.app}: env ${name} is set by the platform for every instance`, {
        hint: 'rename the variable; the platform sets PORT, MEMORY_LIMIT, INSTANCE_*, CF_INSTANCE_* and VCAP_*',
      });
    }
    data[name] = Buffer.from(value).toString('base64');
  }
  data.VCAP_SERVICES = Buffer.from(JSON.stringify(release.services)).toString('base64');
  return data;
}

/** Changes with the Secret's content: put on the pod template, a changed env rolls the pods as CF restarts apps. */
export function envDigest(data: Record<string, string>): string {
  const sorted = Object.keys(data).sort().map((key) => [key, data[key]]);
  return `sha256:${createHash('sha256').update(JSON.stringify(sorted)).digest('hex')}`;
}
