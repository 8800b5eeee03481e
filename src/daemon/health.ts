import { setTimeout as sleepTimer } from 'node:timers/promises';
import type { HealthCheckType } from '../apps/index.js';

/** Time as the health monitor sees it: injectable so the timings can be tested without waiting. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with an AbortError when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    await sleepTimer(ms, undefined, { signal });
  },
};

/** One health probe; it bounds its own duration (1 s per probe) and never throws. */
export type Probe = () => Promise<boolean>;

export interface HealthTimings {
  startTimeoutMs: number;
  /** The first wait between startup probes; it doubles up to startupIntervalMs. */
  firstStartupIntervalMs: number;
  startupIntervalMs: number;
  livenessIntervalMs: number;
}

export const DEFAULT_HEALTH_TIMINGS: HealthTimings = {
  startTimeoutMs: 60_000,
  firstStartupIntervalMs: 5,
  startupIntervalMs: 2_000,
  livenessIntervalMs: 30_000,
};

export const HEALTHY_MESSAGE = 'Container became healthy';
export const UNHEALTHY_MESSAGE = 'Container became unhealthy';

export function startupFailedMessage(startTimeoutMs: number): string {
  const seconds = Number((startTimeoutMs / 1000).toFixed(3));
  return `Failed after ${seconds}s: startup health check never passed.`;
}

export type HealthOutcome =
  | { kind: 'startup-failed'; message: string }
  | { kind: 'unhealthy'; message: string }
  | { kind: 'stopped' };

export interface MonitorOptions {
  type: HealthCheckType;
  probe: Probe;
  timings?: Partial<HealthTimings>;
  clock?: Clock;
  signal: AbortSignal;
  /** Called once, when the startup check first passes. */
  onHealthy: () => void;
}

/**
 * Diego's health-check schedule: a startup probe every 2 s until one passes or the start
 * timeout ends, then a liveness probe every 30 s; the first failed liveness probe ends it.
 * Unlike Diego, the first startup probes come quickly (5 ms, doubling up to 2 s): most apps
 * listen within a fraction of a second, a fixed 2 s wait would be most of their start time, and
 * a refused connect costs next to nothing.
 * A `process` check is healthy at once and never fails here: the process exiting is the
 * supervisor's business. Resolves with why it ended.
 */
export async function monitorHealth(options: MonitorOptions): Promise<HealthOutcome> {
  const timings = { ...DEFAULT_HEALTH_TIMINGS, ...options.timings };
  const clock = options.clock ?? systemClock;
  const { signal } = options;
  try {
    if (options.type === 'process') {
      options.onHealthy();
      await new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    const deadline = clock.now() + timings.startTimeoutMs;
    let interval = Math.min(timings.firstStartupIntervalMs, timings.startupIntervalMs);
    for (;;) {
      if (signal.aborted) return { kind: 'stopped' };
      if (await options.probe()) break;
      const left = deadline - clock.now();
      if (left <= 0) return { kind: 'startup-failed', message: startupFailedMessage(timings.startTimeoutMs) };
      await clock.sleep(Math.min(interval, left), signal);
      interval = Math.min(interval * 2, timings.startupIntervalMs);
    }
    if (signal.aborted) return { kind: 'stopped' };
    options.onHealthy();
    for (;;) {
      await clock.sleep(timings.livenessIntervalMs, signal);
      if (signal.aborted) return { kind: 'stopped' };
      if (!(await options.probe())) {
        if (signal.aborted) return { kind: 'stopped' };
        return { kind: 'unhealthy', message: UNHEALTHY_MESSAGE };
      }
    }
  } catch (error) {
    if (signal.aborted) return { kind: 'stopped' };
    throw error;
  }
}
