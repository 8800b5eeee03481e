import { cidrRange, formatIp, parseCidr, subtractRanges } from './ipv4.js';
import type { SecurityGroup } from './types.js';

/**
 * Ranges that are never "public": this network, private (RFC 1918), CGNAT, loopback,
 * link-local, and multicast + reserved up to the broadcast address.
 */
export const NON_PUBLIC_CIDRS = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/3',
];

/** Cloud Foundry's `public_networks` idea, as `a-b` ranges: everything outside NON_PUBLIC_CIDRS. */
export function publicNetworkRanges(): string[] {
  const holes = NON_PUBLIC_CIDRS.map((text) => cidrRange(parseCidr(text)!));
  return subtractRanges({ first: 0, last: 0xffffffff }, holes).map((r) => `${formatIp(r.first)}-${formatIp(r.last)}`);
}

/** The groups a new store starts with; both are bound to staging, nothing to running. */
export function defaultGroups(): SecurityGroup[] {
  return [
    {
      name: 'public_networks',
      rules: publicNetworkRanges().map((destination) => ({ protocol: 'all' as const, destination })),
    },
    {
      name: 'dns',
      rules: [
        { protocol: 'tcp' as const, destination: '0.0.0.0/0', ports: '53' },
        { protocol: 'udp' as const, destination: '0.0.0.0/0', ports: '53' },
      ],
    },
  ];
}
