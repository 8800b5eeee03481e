import type { KubeProcess, KubeRelease } from '../../../src/kube/types.js';

export const DIGEST = `sha256:${'ab'.repeat(32)}`;
export const IMAGE = `127.0.0.1:5000/apps@${DIGEST}`;
const MiB = 1024 * 1024;

export function web(overrides: Partial<KubeProcess> = {}): KubeProcess {
  return {
    type: 'web',
    instances: 2,
    memoryBytes: 256 * MiB,
    diskBytes: 1024 * MiB,
    healthCheck: { type: 'port', timeoutSeconds: 60 },
    stopTimeoutSeconds: 10,
    ...overrides,
  };
}

/** A release as `from-app.ts` would hand it over: web + a worker, env, a service, two groups. */
export function release(overrides: Partial<KubeRelease> = {}): KubeRelease {
  return {
    app: 'shop',
    appId: '6f1c2c8e-1d7a-4b7e-9d8e-3a2b1c0d9e8f',
    releaseVersion: 4,
    imageRef: IMAGE,
    processes: [
      web(),
      { type: 'worker', command: 'bin/worker --queue jobs', instances: 1, memoryBytes: 1024 * MiB, diskBytes: 512 * MiB, healthCheck: { type: 'process', timeoutSeconds: 60 }, stopTimeoutSeconds: 30 },
    ],
    env: { LOG_LEVEL: 'debug', GREETING: 'costs $(HOME) and $5' },
    services: { postgres: [{ name: 'db', credentials: { password: 's3cret' } }] },
    securityGroupRules: [
      { protocol: 'tcp', destination: '10.0.0.0/8', ports: '5432' },
      { protocol: 'udp', destination: '0.0.0.0/0', ports: '53' },
    ],
    seccomp: 'Localhost',
    apparmor: 'Localhost',
    ...overrides,
  };
}
