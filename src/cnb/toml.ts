import { parse } from 'smol-toml';

/**
 * TOML parsed into ordinary objects: smol-toml gives null-prototype tables, which would leak
 * into JSON labels and deep-equality checks looking unlike what was written.
 */
export function parseToml(text: string): Record<string, unknown> {
  return plain(parse(text)) as Record<string, unknown>;
}

function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}
