import type { IProbe } from 'kubernetes-models/v1';
import type { KubeProcess } from './types.js';

const PORT = 8080;

/** Each probe has 1 s, as dropship's health checks do. */
function handler(process: KubeProcess): IProbe | undefined {
  const check = process.healthCheck;
  if (check.type === 'process') return undefined;
  if (check.type === 'http') return { httpGet: { path: check.endpoint || '/', port: PORT }, timeoutSeconds: 1 };
  return { tcpSocket: { port: PORT }, timeoutSeconds: 1 };
}

/**
 * The health check as probes, with dropship's (and Korifi's) timing: a startup probe every 2 s
 * until the start timeout (⌈timeout/2⌉ failures), then liveness every 30 s, one failure restarts.
 * `process` has no probe: the container's own exit is the signal.
 */
export function probesFor(process: KubeProcess): { startupProbe?: IProbe; livenessProbe?: IProbe } {
  // Two calls, two objects: the probes share no structure (YAML would show it as an alias).
  const probe = handler(process);
  if (!probe) return {};
  return {
    startupProbe: { ...probe, periodSeconds: 2, failureThreshold: Math.max(1, Math.ceil(process.healthCheck.timeoutSeconds / 2)) },
    livenessProbe: { ...handler(process), periodSeconds: 30, failureThreshold: 1 },
  };
}
