import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { tempPathFor } from '../util/atomic.js';
import { withLock } from '../util/lock.js';
import { claim } from './claims.js';
import type { NetworkConfig } from './config.js';
import { formatIp, parseIp } from './ipv4.js';
import type { LeaseFile } from './types.js';

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

/** An address for a new lease, claimed host-wide (see claims.ts). */
export async function claimIp(file: LeaseFile, config: NetworkConfig, containerId: string): Promise<string> {
  const refused = new Set<number>();
  for (;;) {
    const ip = allocateIp(file, config, refused);
    if (await claim('ip', ip, containerId)) return ip;
    refused.add(parseIp(ip)!);
  }
}
