import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { vethName } from './names.js';
import { removeKernelState } from './attach.js';
import { releaseClaims } from './claims.js';
import { readLeases, withNetworkLock, writeLeases, containerFilesDir } from './leases.js';
import type { HostPort } from './types.js';

export interface NetworkGcReport {
  /** Container ids whose lease was released. */
  leases: string[];
  veths: string[];
  rulesRemoved: number;
  releasedPorts: HostPort[];
}

/**
 * Remove the network of containers that no longer exist (dropship killed with -9, host crash).
 * Leases are written before anything reaches the kernel, so they name every possible leftover;
 * kernel objects of other dropship stores on the same host are left alone.
 */
export async function gcNetwork(liveContainerIds: string[], options: { dryRun?: boolean } = {}): Promise<NetworkGcReport> {
  const live = new Set(liveContainerIds);
  const dead = Object.values((await readLeases()).leases).filter((lease) => !live.has(lease.containerId));
  const report: NetworkGcReport = { leases: [], veths: [], rulesRemoved: 0, releasedPorts: [] };
  if (options.dryRun) {
    return {
      leases: dead.map((lease) => lease.containerId),
      veths: dead.map((lease) => vethName(lease.short)).filter((veth) => existsSync(`/sys/class/net/${veth}`)),
      rulesRemoved: 0,
      releasedPorts: dead.flatMap((lease) => lease.hostPorts),
    };
  }
  if (!dead.length) return report;
  const removed = await removeKernelState(dead);
  report.veths = removed.veths;
  report.rulesRemoved = removed.rulesRemoved;
  await withNetworkLock(async () => {
    const file = await readLeases();
    for (const lease of dead) {
      if (!file.leases[lease.containerId]) continue;
      delete file.leases[lease.containerId];
      report.leases.push(lease.containerId);
      report.releasedPorts.push(...lease.hostPorts);
    }
    await writeLeases(file);
  });
  for (const lease of dead) {
    await releaseClaims(lease.containerId, lease.ip, lease.hostPorts.map((port) => port.host));
    await rm(containerFilesDir(lease.short), { recursive: true, force: true });
  }
  return report;
}
