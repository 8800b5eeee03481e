import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { tempPathFor } from '../util/atomic.js';
import { withLock } from '../util/lock.js';
import { claim, releaseClaims } from './claims.js';
import type { NetworkConfig } from './config.js';
import { formatIp, parseIp } from './ipv4.js';
import { DEFAULT_CONTAINER_PORT, PORT_POOL_END, PORT_POOL_START } from './ports.js';
import type { HostPort, LeaseFile, PortMapping } from './types.js';

export const leasesPath = (): string => join(homePaths().network, 'leases.json');
export const containerFilesDir = (short: string): string => join(homePaths().network, 'containers', short);

/** One lock for leases, security groups and the rules written from them. */
export function withNetworkLock<T>(fn: () => Promise<T>): Promise<T> {
  return withLock(join(homePaths().locks, 'network.lock'), fn);
}

export async function readLeases(subnet = ''): Promise<LeaseFile> {
  try {
    return JSON.parse(await readFile(leasesPath(), 'utf8')) as LeaseFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, subnet, leases: {} };
    throw new DropshipError('INVALID_LEASES', `${leasesPath()}: cannot read leases: ${(error as Error).message}`, {
      hint: 'stop dropship containers, move the file away and run `dropship gc`',
      cause: error,
    });
  }
}

/**
 * Atomic (rename) but not fsynced: leases describe kernel state (veths, rules) that a power loss
 * erases too, and a killed process leaves the page cache intact. This saves a disk flush per start.
 */
export async function writeLeases(file: LeaseFile): Promise<void> {
  const target = leasesPath();
  await mkdir(dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  try {
    await writeFile(temp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The lowest free address of the subnet; `refused` are taken elsewhere on the host. */
export function allocateIp(file: LeaseFile, config: NetworkConfig, refused: Set<number> = new Set()): string {
  const used = new Set(Object.values(file.leases).map((lease) => parseIp(lease.ip)));
  for (let ip = config.first; ip <= config.last; ip++) if (!used.has(ip) && !refused.has(ip)) return formatIp(ip);
  throw new DropshipError('SUBNET_FULL', `no free address left in ${config.subnet} (${used.size} leased)`, {
    hint: 'stop some containers, run `dropship gc`, or configure a larger subnet',
  });
}

/** Host ports: the ones asked for, checked free; the rest from the pool, lowest first. */
export function allocatePorts(file: LeaseFile, wanted: PortMapping[], listening: Set<number>): HostPort[] {
  const leased = new Map<number, string>();
  for (const lease of Object.values(file.leases)) for (const port of lease.hostPorts) leased.set(port.host, lease.containerId);
  const taken = new Set<number>();
  const result: HostPort[] = [];
  for (const mapping of wanted) {
    if (mapping.host === undefined) continue;
    const owner = leased.get(mapping.host);
    if (owner || taken.has(mapping.host) || listening.has(mapping.host)) {
      throw new DropshipError('PORT_IN_USE', `host port ${mapping.host} is already in use${owner ? ` by container ${owner}` : ''}`, {
        hint: 'choose another host port, or leave it out (-p :8080) to get one from the pool',
      });
    }
    taken.add(mapping.host);
  }
  let next = PORT_POOL_START;
  for (const mapping of wanted) {
    let host = mapping.host;
    if (host === undefined) {
      while (next <= PORT_POOL_END && (leased.has(next) || taken.has(next) || listening.has(next))) next++;
      if (next > PORT_POOL_END) {
        throw new DropshipError('PORT_POOL_EXHAUSTED', `no free host port left in ${PORT_POOL_START}-${PORT_POOL_END}`, {
          hint: 'stop some containers or run `dropship gc`',
        });
      }
      host = next;
      taken.add(host);
    }
    result.push({ host, container: mapping.container ?? DEFAULT_CONTAINER_PORT });
  }
  return result;
}

/** TCP ports something on the host listens on (from /proc/net/tcp{,6}, state 0A). */
export async function listeningPorts(): Promise<Set<number>> {
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A') ports.add(Number.parseInt(fields[1]!.split(':').pop()!, 16));
    }
  }
  return ports;
}

/** An address for a new lease, claimed host-wide (see claims.ts). */
export async function claimIp(file: LeaseFile, config: NetworkConfig, containerId: string): Promise<string> {
  const refused = new Set<number>();
  for (;;) {
    const ip = allocateIp(file, config, refused);
    if (await claim('ip', ip, containerId)) return ip;
    refused.add(parseIp(ip)!);
  }
}

/** Host ports for a new lease, claimed host-wide; a port asked for and claimed elsewhere is in use. */
export async function claimPorts(file: LeaseFile, wanted: PortMapping[], containerId: string): Promise<HostPort[]> {
  const refused = await listeningPorts();
  for (;;) {
    const ports = allocatePorts(file, wanted, refused);
    const lost: number[] = [];
    for (const port of ports) if (!(await claim('port', port.host, containerId))) lost.push(port.host);
    if (!lost.length) return ports;
    await releaseClaims(containerId, '', ports.map((port) => port.host).filter((port) => !lost.includes(port)));
    for (const port of lost) refused.add(port);
  }
}
