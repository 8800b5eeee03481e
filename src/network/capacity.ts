import { readdir } from 'node:fs/promises';
import { CLAIMS_DIR } from './claims.js';
import { loadNetworkConfig } from './config.js';
import { parseIp } from './ipv4.js';
import { readLeases } from './leases.js';

/**
 * How many container addresses a new instance could still get: the subnet's usable addresses
 * minus this store's leases and every host-wide claim (other stores). Read without the network
 * lock: it answers "can this fit at all" before anything is asked of the daemon, and a stale
 * claim only makes the answer smaller, never a lease handed out twice.
 */
export async function freeAddressCount(): Promise<{ free: number; subnet: string }> {
  const config = await loadNetworkConfig();
  const taken = new Set<number>();
  for (const lease of Object.values((await readLeases(config.subnet)).leases)) {
    const ip = parseIp(lease.ip);
    if (ip !== undefined) taken.add(ip);
  }
  for (const entry of await readdir(CLAIMS_DIR).catch(() => [] as string[])) {
    const ip = entry.startsWith('ip-') ? parseIp(entry.slice(3)) : undefined;
    if (ip !== undefined) taken.add(ip);
  }
  let used = 0;
  for (const ip of taken) if (ip >= config.first && ip <= config.last) used++;
  return { free: config.last - config.first + 1 - used, subnet: config.subnet };
}
