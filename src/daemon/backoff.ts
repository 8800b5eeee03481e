/** Diego's crash policy: the numbers users of Cloud Foundry already know. */
export interface RestartPolicy {
  immediateRestarts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxCrashes: number;
  /** An instance that ran this long before crashing starts counting again from zero. */
  resetAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  immediateRestarts: 3,
  baseDelayMs: 30_000,
  maxDelayMs: 16 * 60_000,
  maxCrashes: 200,
  resetAfterMs: 5 * 60_000,
};

/**
 * The crash count after a crash: a run of `ranForMs` at least `resetAfterMs` long forgives
 * the earlier crashes, so only this one counts.
 */
export function nextCrashCount(previous: number, ranForMs: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): number {
  return ranForMs >= policy.resetAfterMs ? 1 : previous + 1;
}

/**
 * How long to wait before restarting after the `crashCount`-th crash in a row (1-based), or
 * null to give up. Crashes 1–3 restart at once; crash n ≥ 4 waits 30 s × 2^(n−4), i.e.
 * 30 s, 60 s, 120 s … capped at 16 min; after 200 crashes the instance stays crashed.
 */
export function restartDelayMs(crashCount: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): number | null {
  if (crashCount > policy.maxCrashes) return null;
  if (crashCount <= policy.immediateRestarts) return 0;
  const exponent = crashCount - policy.immediateRestarts - 1;
  // Past 2^20 the cap has long applied; stop shifting before the number overflows.
  if (exponent > 20) return policy.maxDelayMs;
  return Math.min(policy.baseDelayMs * 2 ** exponent, policy.maxDelayMs);
}
