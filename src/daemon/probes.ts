import { connect } from 'node:net';
import type { HealthCheckType } from '../apps/index.js';
import type { Probe } from './health.js';

export const PROBE_TIMEOUT_MS = 1_000;

/** `port`: a TCP connect to the instance's port succeeds within the probe timeout. */
export function portProbe(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Probe {
  return () =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      const done = (ok: boolean) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
}

/** `http`: GET the endpoint; only a 200 counts (Diego does not follow redirects or accept 2xx). */
export function httpProbe(host: string, port: number, endpoint: string, timeoutMs = PROBE_TIMEOUT_MS): Probe {
  const url = `http://${host}:${port}${endpoint.startsWith('/') ? endpoint : `/${endpoint}`}`;
  return async () => {
    try {
      // got loads on the first http probe only: port and process checks never pay for it.
      const { default: got } = await import('got');
      const response = await got(url, {
        timeout: { request: timeoutMs },
        retry: { limit: 0 },
        throwHttpErrors: false,
        followRedirect: false,
        agent: {},
      });
      return response.statusCode === 200;
    } catch {
      return false;
    }
  };
}

export function probeFor(type: HealthCheckType, host: string, port: number, endpoint: string): Probe {
  if (type === 'http') return httpProbe(host, port, endpoint);
  if (type === 'port') return portProbe(host, port);
  return async () => true;
}
