import { DropshipError } from '../errors.js';

const SIZE_UNITS: Record<string, number> = {
  '': 1, B: 1, K: 1024, KB: 1024, KI: 1024, KIB: 1024, M: 1024 ** 2, MB: 1024 ** 2, MI: 1024 ** 2, MIB: 1024 ** 2,
  G: 1024 ** 3, GB: 1024 ** 3, GI: 1024 ** 3, GIB: 1024 ** 3, T: 1024 ** 4, TB: 1024 ** 4,
};

/** Parse a size as Cloud Foundry writes them (`256M`, `1G`, `512MB`) into bytes. */
export function parseSize(value: string | number, what = 'size'): number {
  if (typeof value === 'number') return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  const unit = match?.[2]?.toUpperCase() ?? '';
  if (!match || !(unit in SIZE_UNITS)) {
    throw new DropshipError('INVALID_SIZE', `${what}: '${value}' is not a size`, {
      hint: 'write a number with a unit, like 256M or 1G',
    });
  }
  return Math.round(Number(match[1]) * SIZE_UNITS[unit]!);
}

const MiB = 1024 * 1024;

/**
 * Memory and disk as `cf` takes them, the one parser behind push, run, scale, run-task and the
 * manifest: a bare number written as text is megabytes (`-m 256` is 256M everywhere), units as
 * parseSize; a JavaScript number is already bytes (the library's typed options).
 */
export function parseQuota(value: string | number, what: string, minBytes = 16 * MiB): number {
  const bytes = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) * MiB : parseSize(value, what);
  if (!Number.isFinite(bytes) || bytes < minBytes) {
    throw new DropshipError('INVALID_SIZE', `${what}: '${value}' is below ${formatBytes(minBytes)}`, {
      hint: `give at least ${formatBytes(minBytes)}, like ${what} 256M (a bare number is megabytes)`,
    });
  }
  return bytes;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, '': 1000, m: 60_000, h: 3_600_000 };

/** Parse a duration (`30s`, `15m`, `2h`, bare number = seconds) into milliseconds. */
export function parseDuration(value: string | number, what = 'duration'): number {
  if (typeof value === 'number') return value * 1000;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|)\s*$/.exec(value);
  if (!match) {
    throw new DropshipError('INVALID_DURATION', `${what}: '${value}' is not a duration`, {
      hint: 'write a number with a unit, like 30s, 15m or 2h',
    });
  }
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]!]!);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)}${units[unit]}`;
}
