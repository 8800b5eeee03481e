/** IPv4 addresses as unsigned 32-bit numbers: ranges and overlaps become arithmetic. */

export interface Cidr {
  base: number;
  prefix: number;
}

export interface IpRange {
  first: number;
  last: number;
}

export function parseIp(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIp(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** `a.b.c.d/n`; `strict` refuses host bits set below the prefix. */
export function parseCidr(text: string, options: { strict?: boolean } = {}): Cidr | undefined {
  const match = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const ip = parseIp(match[1]!);
  const prefix = Number(match[2]);
  if (ip === undefined || prefix > 32) return undefined;
  const base = (ip & maskOf(prefix)) >>> 0;
  if (options.strict && base !== ip) return undefined;
  return { base, prefix };
}

export function cidrRange(cidr: Cidr): IpRange {
  return { first: cidr.base, last: (cidr.base | (~maskOf(cidr.prefix) >>> 0)) >>> 0 };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.base)}/${cidr.prefix}`;
}

export function rangesOverlap(a: IpRange, b: IpRange): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** The ranges of `whole` not covered by any of `holes`, in address order. */
export function subtractRanges(whole: IpRange, holes: IpRange[]): IpRange[] {
  const sorted = [...holes].sort((a, b) => a.first - b.first);
  const result: IpRange[] = [];
  let next = whole.first;
  for (const hole of sorted) {
    if (hole.last < next || hole.first > whole.last) continue;
    if (hole.first > next) result.push({ first: next, last: hole.first - 1 });
    next = hole.last + 1;
    if (next > whole.last) return result;
  }
  if (next <= whole.last) result.push({ first: next, last: whole.last });
  return result;
}
