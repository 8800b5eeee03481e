import { DropshipError } from '../errors.js';
import { parseDuration } from '../util/units.js';

export const LIVENESS_INTERVAL_ENV = 'DROPSHIP_LIVENESS_INTERVAL';

/**
 * The liveness interval the environment asks for, or undefined for DESIGN.md's 30 s. It exists
 * so tests can see an instance turn unhealthy without waiting 30 s per probe; a bare number is
 * milliseconds (unlike parseDuration's seconds) because sub-second values are what tests want.
 */
export function livenessIntervalFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[LIVENESS_INTERVAL_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  const invalid = (cause?: unknown) =>
    new DropshipError('INVALID_LIVENESS_INTERVAL', `${LIVENESS_INTERVAL_ENV}: '${raw}' is not a positive duration`, {
      hint: `write milliseconds (1000) or a duration (1s, 500ms), or unset ${LIVENESS_INTERVAL_ENV} for the default of 30s`,
      cause,
    });
  let ms: number;
  try {
    ms = /^\s*\d+\s*$/.test(raw) ? Number(raw) : parseDuration(raw, LIVENESS_INTERVAL_ENV);
  } catch (error) {
    throw invalid(error);
  }
  if (!Number.isSafeInteger(ms) || ms <= 0) throw invalid();
  return ms;
}
