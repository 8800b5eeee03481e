import { formatIp } from '../network/ipv4.js';

const ADDRESSES = 2 ** 32;

/**
 * The fewest CIDR blocks that cover exactly first..last (IPv4 as unsigned numbers): each step takes
 * the largest aligned block that starts at `first` and does not pass `last`. NetworkPolicy's
 * ipBlock takes only CIDRs, while Cloud Foundry rules may name `a-b` ranges.
 */
export function rangeToCidrs(first: number, last: number): string[] {
  const cidrs: string[] = [];
  let next = first;
  while (next <= last) {
    let size = next === 0 ? ADDRESSES : lowestBit(next);
    while (next + size - 1 > last) size /= 2;
    cidrs.push(`${formatIp(next)}/${32 - Math.log2(size)}`);
    next += size;
  }
  return cidrs;
}

/** The value of the lowest set bit of a 32-bit unsigned number (numbers, not int32 bit tricks, above 2^31). */
function lowestBit(value: number): number {
  let bit = 1;
  while (bit < ADDRESSES && value % (bit * 2) === 0) bit *= 2;
  return bit;
}
