import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import { VCAP_GID, VCAP_UID } from '../security/index.js';
import { literal, platformEnv } from './env.js';
import { objectName } from './names.js';
import { probesFor } from './probes.js';
import type { ProfileRefs } from './profiles.js';
import { resourcesFor } from './resources.js';
import type { KubeProcess, KubeRelease } from './types.js';

export interface PodInputs {
  release: KubeRelease;
  process: KubeProcess;
  secretName: string;
  profiles: ProfileRefs;
  /** The pod has an ordinal (StatefulSet): INSTANCE_INDEX comes from it. */
  indexed: boolean;
}

/**
 * The hardening of a dropship instance as a pod spec: its own user namespace (hostUsers: false),
 * vcap (2000:2000) and never root, no privilege escalation, no capabilities (vcap needs none),
 * dropship's seccomp and AppArmor profiles, no service-account token, no service-link env.
 */
export function podSpec({ release, process, secretName, profiles, indexed }: PodInputs): IPodSpec {
  const probes = probesFor(process);
  const listens = process.type === 'web' || process.healthCheck.type !== 'process';
  const container: IContainer = {
    name: objectName(process.type, 63),
    image: release.imageRef,
    imagePullPolicy: 'IfNotPresent',
    ...(process.entrypoint ? { command: process.entrypoint } : {}),
    // The image's entrypoint is its launcher; one argument is run through `sh -c`, like `-c` on one
    // host. Kubernetes expands $(VAR) in args too, which would rewrite the shell's $(cmd) and $$.
    args: process.command === undefined ? undefined : [literal(process.command)],
    ports: listens ? [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] : undefined,
    env: platformEnv(release, process, indexed),
    envFrom: [{ secretRef: { name: secretName } }],
    resources: resourcesFor(process),
    startupProbe: probes.startupProbe,
    livenessProbe: probes.livenessProbe,
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      runAsNonRoot: true,
      runAsUser: VCAP_UID,
      runAsGroup: VCAP_GID,
    },
  };
  return {
    hostUsers: false,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: process.stopTimeoutSeconds,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: VCAP_UID,
      runAsGroup: VCAP_GID,
      seccompProfile: profiles.seccompProfile,
      appArmorProfile: profiles.appArmorProfile,
    },
    containers: [container],
  };
}
