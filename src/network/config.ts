import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { cidrRange, formatCidr, formatIp, parseCidr, parseIp, rangesOverlap, type Cidr } from './ipv4.js';
import { LEGACY_BRIDGE, VETH_PREFIX } from './names.js';

/** Not a common choice (Docker 172.17/16, libvirt 192.168.122/24, k8s 10.96/12, 10.244/16). */
export const DEFAULT_SUBNET = '10.254.0.0/22';

export interface NetworkConfig {
  subnet: string;
  cidr: Cidr;
  gateway: string;
  /** Usable container addresses, gateway and broadcast excluded. */
  first: number;
  last: number;
}

export function configFromSubnet(subnet: string, source: string): NetworkConfig {
  const cidr = parseCidr(subnet, { strict: true });
  if (!cidr || cidr.prefix < 8 || cidr.prefix > 29) {
    throw new DropshipError('INVALID_SUBNET', `${source}: '${subnet}' is not a usable subnet`, {
      hint: 'write a network address with a prefix between /8 and /29, e.g. 10.254.0.0/22',
    });
  }
  const range = cidrRange(cidr);
  return { subnet: formatCidr(cidr), cidr, gateway: formatIp(range.first + 1), first: range.first + 2, last: range.last - 1 };
}

/** DROPSHIP_SUBNET, else `subnet` in $DROPSHIP_HOME/network/config.json, else DEFAULT_SUBNET. */
export async function loadNetworkConfig(env: NodeJS.ProcessEnv = process.env): Promise<NetworkConfig> {
  if (env.DROPSHIP_SUBNET) return configFromSubnet(env.DROPSHIP_SUBNET, 'DROPSHIP_SUBNET');
  const path = join(homePaths().network, 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return configFromSubnet(DEFAULT_SUBNET, 'default subnet');
    throw error;
  }
  let parsed: { subnet?: unknown };
  try {
    parsed = JSON.parse(text) as { subnet?: unknown };
  } catch (error) {
    throw new DropshipError('INVALID_NETWORK_CONFIG', `${path}: not valid JSON`, { hint: 'write {"subnet": "10.254.0.0/22"}', cause: error });
  }
  if (parsed.subnet === undefined) return configFromSubnet(DEFAULT_SUBNET, 'default subnet');
  return configFromSubnet(String(parsed.subnet), `${path}: subnet`);
}

export interface HostRoute {
  dst: string;
  dev?: string;
}

/** Routes (from `ip -j route`) and nameservers that the subnet would hide; empty when it is free. */
export function subnetClashes(config: NetworkConfig, routes: HostRoute[], nameservers: string[]): string[] {
  const ours = cidrRange(config.cidr);
  const clashes: string[] = [];
  for (const route of routes) {
    // Container routes (and an older dropship's bridge) are dropship's own, not a clash.
    if (route.dev === LEGACY_BRIDGE || route.dev?.startsWith(VETH_PREFIX) || route.dst === 'default') continue;
    const cidr = parseCidr(route.dst.includes('/') ? route.dst : `${route.dst}/32`);
    if (cidr && rangesOverlap(ours, cidrRange(cidr))) clashes.push(`route ${route.dst}${route.dev ? ` dev ${route.dev}` : ''}`);
  }
  for (const server of nameservers) {
    const ip = parseIp(server);
    if (ip !== undefined && ip >= ours.first && ip <= ours.last) clashes.push(`nameserver ${server}`);
  }
  return clashes;
}
