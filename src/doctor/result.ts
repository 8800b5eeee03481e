/** One row of `dropship doctor`: its own module, so every family of checks can name it. */
export type CheckStatus = 'ok' | 'missing' | 'degraded';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** Whether dropship cannot work at all without it. */
  required: boolean;
  /** One-line fix, given when the status is not ok. */
  fix?: string;
}
