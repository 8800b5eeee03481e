import { checks, type CheckResult } from './checks.js';

export type { CheckResult, CheckStatus } from './checks.js';

export interface DoctorReport {
  ok: boolean;
  checks: CheckResult[];
}

/** What this host can do; `ok` is false when something dropship requires is missing. */
export async function doctor(): Promise<DoctorReport> {
  const results = await Promise.all(checks.map((check) => check()));
  return { ok: results.every((r) => !r.required || r.status !== 'missing'), checks: results };
}
