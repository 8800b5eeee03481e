import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { LEGACY_BRIDGE, taggedShort, vethName } from './names.js';
import { removeKernelState } from './attach.js';
import { addressClaimed, releaseClaims } from './claims.js';
import { gcDataPaths } from './data-path.js';
import { iptablesSave, legacyBridgePorts, removeLegacyBridge, restore } from './host.js';
import { deletedRules, leftoverScript, parseSave } from './iptables-rules.js';
import { containerOwner, readHostPorts, releaseLocked } from './host-ports.js';
import { readLeases, withNetworkLock, writeLeases, containerFilesDir } from './leases.js';
import { ownerAlive, parseOwner } from '../util/owner.js';
import type { HostPort, Lease } from './types.js';

export interface NetworkGcReport {
  /** Container ids whose lease was released. */
  leases: string[];
  veths: string[];
  rulesRemoved: number;
  releasedPorts: HostPort[];
  /** Data-path chains whose owner is gone. */
  dataPaths: string[];
  /** The empty bridge of an older dropship was (or would be) deleted. */
  legacyBridge: boolean;
}

export interface NetworkGcOptions {
  dryRun?: boolean;
  /** Owners whose data path stays; by default those holding a host port reservation. */
  liveOwners?: string[];
}

/** Table entries of container leases that never reached (or already left) leases.json. */
async function strayContainerPorts(keep: Set<string>): Promise<string[]> {
  const owners = new Set(Object.values((await readHostPorts()).ports).map((entry) => entry.owner));
  return [...owners].filter((owner) => owner.startsWith(containerOwner('')) && !keep.has(owner));
}

/**
 * Remove the rules of containers that no store will ever remove: no veth, no lease in this store
 * and no live host-wide claim on their address (left by a store deleted while its containers were
 * attached, or by a crash between an attach's rules and its lease). A DNAT of such a container
 * keeps catching its host port, which the next app given that port then times out on. Run under
 * this store's network lock, so an attach of its own (rules and veth together) is never caught
 * halfway; another store's attach holds its address's claim first.
 */
async function removeOrphanRules(leases: Record<string, Lease>): Promise<number> {
  const saved = parseSave(await iptablesSave());
  const ours = new Set(Object.values(leases).map((lease) => lease.short));
  const addresses = new Map<string, string>();
  for (const line of Object.values(saved.rules).flat()) {
    const short = taggedShort(line);
    const ip = /-s (\d+\.\d+\.\d+\.\d+)\/32/.exec(line)?.[1];
    if (short && ip && !ours.has(short)) addresses.set(short, ip);
  }
  const orphans = new Set<string>();
  for (const [short, ip] of addresses) {
    if (existsSync(`/sys/class/net/${vethName(short)}`) || (await addressClaimed(ip))) continue;
    orphans.add(short);
  }
  if (orphans.size === 0) return 0;
  const script = leftoverScript(saved, orphans);
  await restore(script, `removing the rules of ${orphans.size} container(s) no store holds`);
  return deletedRules(script);
}

/**
 * Remove the network of containers that no longer exist (dropship killed with -9, host crash),
 * data paths whose owner is gone, and an older dropship's empty bridge. Leases are written before
 * anything reaches the kernel, so they name every possible leftover; kernel objects of other
 * dropship stores on the same host are left alone (rules no store holds go: removeOrphanRules).
 */
export async function gcNetwork(liveContainerIds: string[], options: NetworkGcOptions = {}): Promise<NetworkGcReport> {
  const live = new Set(liveContainerIds);
  const leases = (await readLeases()).leases;
  const dead: Lease[] = [];
  for (const lease of Object.values(leases)) {
    if (live.has(lease.containerId)) continue;
    // Not yet in the runtime, and its holder still running: the container is being made.
    const holder = lease.attached ? undefined : parseOwner(lease.holder);
    if (!holder || !(await ownerAlive(holder))) dead.push(lease);
  }
  const keepPorts = new Set([...live, ...Object.keys(leases)].map(containerOwner));
  if (options.dryRun) {
    return {
      leases: dead.map((lease) => lease.containerId),
      veths: dead.map((lease) => vethName(lease.short)).filter((veth) => existsSync(`/sys/class/net/${veth}`)),
      rulesRemoved: 0,
      releasedPorts: dead.flatMap((lease) => lease.hostPorts),
      dataPaths: await gcDataPaths({ ...options, dryRun: true }),
      legacyBridge: legacyBridgePorts()?.length === 0,
    };
  }
  const report: NetworkGcReport = { leases: [], veths: [], rulesRemoved: 0, releasedPorts: [], dataPaths: [], legacyBridge: false };
  if (dead.length) {
    const removed = await removeKernelState(dead);
    report.veths = removed.veths;
    report.rulesRemoved = removed.rulesRemoved;
  }
  await withNetworkLock(async () => {
    const file = await readLeases();
    for (const lease of dead) {
      if (!file.leases[lease.containerId]) continue;
      delete file.leases[lease.containerId];
      report.leases.push(lease.containerId);
      report.releasedPorts.push(...lease.hostPorts);
      await releaseLocked(containerOwner(lease.containerId));
    }
    if (report.leases.length) await writeLeases(file);
    for (const owner of await strayContainerPorts(keepPorts)) await releaseLocked(owner);
    report.rulesRemoved += await removeOrphanRules(file.leases);
  });
  for (const lease of dead) {
    await releaseClaims(lease.containerId, lease.ip, lease.hostPorts.map((port) => port.host));
    await rm(containerFilesDir(lease.short), { recursive: true, force: true });
  }
  report.dataPaths = await gcDataPaths(options);
  report.legacyBridge = existsSync(`/sys/class/net/${LEGACY_BRIDGE}`) && (await removeLegacyBridge());
  return report;
}
