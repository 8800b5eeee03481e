import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { currentOwner, formatOwner } from '../util/owner.js';
import { allSettled } from '../util/settled.js';
import { releaseClaims } from './claims.js';
import { loadNetworkConfig, type NetworkConfig } from './config.js';
import { hostsFileContent, resolvConfContent } from './etc-files.js';
import { run } from './exec.js';
import { logLabel, readGroups, requireGroup, rulesFor } from './groups.js';
import { ensureHostNetwork, iptablesSave, restore, sysctl } from './host.js';
import { attachScript, deletedRules, detachScript, leftoverScript, parseSave, rulesDigest } from './iptables-rules.js';
import { containerOwner, releaseLocked, reserveLeasePortsLocked } from './host-ports.js';
import {
  claimIp,
  containerFilesDir,
  readLeases,
  withNetworkLock,
  writeLeases,
} from './leases.js';
import { shortId, vethName } from './names.js';
import type { AttachOptions, HostPort, Lease, LeaseFile, NetworkAttachment, PortMapping, PreparedNetwork, SecurityGroupRule } from './types.js';

type NormalizedAttach = AttachOptions & { ports: PortMapping[]; securityGroups: string[] };

function invalid(field: string, value: unknown, hint: string): DropshipError {
  return new DropshipError('INVALID_NETWORK_OPTIONS', `network option ${field}: ${JSON.stringify(value)} is not valid`, { hint });
}

function normalize(options: AttachOptions): NormalizedAttach {
  if (!options.containerId) throw invalid('containerId', options.containerId, 'give the id of the container');
  if (options.kind !== 'staging' && options.kind !== 'running') throw invalid('kind', options.kind, "use 'staging' or 'running'");
  const ports = options.ports ?? [];
  for (const mapping of ports) {
    for (const port of [mapping.host, mapping.container]) {
      if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
        throw invalid('ports', mapping, 'ports are integers 1-65535; leave host out for one from the pool');
      }
    }
  }
  return { ...options, ports, securityGroups: options.securityGroups ?? [] };
}

function prepared(lease: Lease, config: NetworkConfig, warnings: string[]): PreparedNetwork {
  const dir = containerFilesDir(lease.short);
  const hostsFile = join(dir, 'hosts');
  const resolvConf = join(dir, 'resolv.conf');
  return {
    ip: lease.ip,
    gateway: config.gateway,
    hostPorts: lease.hostPorts,
    mounts: [
      { source: hostsFile, destination: '/etc/hosts', readonly: true },
      { source: resolvConf, destination: '/etc/resolv.conf', readonly: true },
    ],
    warnings,
  };
}

/** Ports of leases an older dropship took before the host-port table held them. */
function legacyLeasePorts(file: LeaseFile): Set<number> {
  return new Set(Object.values(file.leases).flatMap((lease) => lease.hostPorts.map((port) => port.host)));
}

/**
 * Lease (or reuse) an address and host ports and write /etc/hosts and /etc/resolv.conf for a new
 * lease. Runs under the network lock. `attaching` records the rules about to be written.
 */
async function leaseLocked(
  options: NormalizedAttach,
  config: NetworkConfig,
  attaching: boolean,
): Promise<{ lease: Lease; rules: SecurityGroupRule[]; warnings: string[] }> {
  await ensureHostNetwork(config);
  const file = await readLeases(config.subnet);
  const store = await readGroups();
  for (const name of options.securityGroups) requireGroup(store, name);
  let lease = file.leases[options.containerId];
  const fresh = !lease;
  if (!lease) {
    const ip = await claimIp(file, config, options.containerId);
    let hostPorts: HostPort[];
    try {
      hostPorts = await reserveLeasePortsLocked(options.containerId, options.ports, legacyLeasePorts(file));
    } catch (error) {
      await releaseClaims(options.containerId, ip, []);
      throw error;
    }
    lease = {
      containerId: options.containerId,
      short: shortId(options.containerId),
      ip,
      kind: options.kind,
      ...(options.app ? { app: options.app } : {}),
      hostname: options.hostname ?? options.containerId,
      securityGroups: options.securityGroups,
      hostPorts,
      holder: formatOwner(await currentOwner()),
      createdAt: new Date().toISOString(),
    };
    file.subnet = config.subnet;
    file.leases[lease.containerId] = lease;
  } else if (options.securityGroups.length) {
    lease.securityGroups = options.securityGroups;
  }
  const rules = rulesFor(store, lease);
  if (attaching) {
    lease.attached = true;
    lease.appliedDigest = rulesDigest(rules);
  }
  // The lease is on disk before anything exists in the kernel, so `gc` always finds leftovers.
  if (fresh || attaching) await writeLeases(file);
  let warnings: string[] = [];
  if (fresh) {
    const resolv = resolvConfContent(await readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
    warnings = resolv.warnings;
    const dir = containerFilesDir(lease.short);
    await mkdir(dir, { recursive: true });
    // Plain writes: the files are regenerated with the lease and read only after this returns.
    await allSettled([writeFile(join(dir, 'hosts'), hostsFileContent(lease.ip, lease.hostname)), writeFile(join(dir, 'resolv.conf'), resolv.content)]);
  }
  return { lease, rules, warnings };
}

/**
 * Reserve the container's address and ports before it is created, so that its /etc/hosts and
 * /etc/resolv.conf can be bind-mounted (`mounts`). attachNetwork later reuses the lease.
 */
export async function prepareNetwork(options: AttachOptions): Promise<PreparedNetwork> {
  const normalized = normalize(options);
  const config = await loadNetworkConfig();
  const { lease, warnings } = await withNetworkLock(() => leaseLocked(normalized, config, false));
  return prepared(lease, config, warnings);
}

/**
 * A routed point-to-point link: the veth's only other end is the host, which holds the gateway
 * address on it (the same /32 on every container's veth) and routes the container's /32 to it.
 * A container can claim any address in ARP: the host only ever looks that address up on the
 * veth it routes it to, so a claim on another veth changes nothing.
 */
async function plugVeth(lease: Lease, pid: number, config: NetworkConfig): Promise<void> {
  const veth = vethName(lease.short);
  await run('ip', ['-batch', '-'], {
    step: `creating veth ${veth} for container ${lease.containerId}`,
    input: [
      `link add ${veth} type veth peer name eth0 netns ${pid}`,
      // No IPv6 link-local address on the host side: ip6tables has no rules for containers.
      `link set ${veth} addrgenmode none`,
      `addr add ${config.gateway}/32 dev ${veth}`,
      `link set ${veth} up`,
      `route add ${lease.ip}/32 dev ${veth} src ${config.gateway}`,
      '',
    ].join('\n'),
  });
  await allSettled([
    // The host must not be reachable over IPv6 at all, and 127.0.0.1:HOSTPORT is DNATed out of this veth.
    // Only a kernel without IPv6 may skip it: otherwise a failed write would open the host silently
    // (there are no ip6tables rules behind it).
    existsSync('/proc/sys/net/ipv6') ? sysctl(`net/ipv6/conf/${veth}/disable_ipv6`, '1') : undefined,
    sysctl(`net/ipv4/conf/${veth}/route_localnet`, '1'),
  ]);
}

/**
 * The container's side, last: its default route is what a task waits for before it runs
 * (awaitingNetwork), so by then the host side and the rules must be complete — a task that exits
 * at once takes the veth with it, and one that connects at once must meet its security groups.
 * A /32 and a route to the gateway: every packet, even to a neighbour, passes the host's rules.
 */
async function configureEth0(lease: Lease, pid: number, config: NetworkConfig): Promise<void> {
  await run('nsenter', ['-t', String(pid), '-n', 'ip', '-batch', '-'], {
    step: `configuring eth0 inside container ${lease.containerId} (pid ${pid})`,
    input: [
      `addr add ${lease.ip}/32 dev eth0`,
      'link set eth0 up',
      `route add ${config.gateway}/32 dev eth0 scope link`,
      `route add default via ${config.gateway} dev eth0`,
      '',
    ].join('\n'),
  });
}

/**
 * Give a running container (by the pid of its init, in the network namespace runc created) a
 * routed veth, an address, a default route, its host ports and its security groups.
 */
export async function attachNetwork(options: AttachOptions & { pid: number }): Promise<NetworkAttachment> {
  const normalized = normalize(options);
  if (!Number.isInteger(options.pid) || options.pid <= 0) {
    throw invalid('pid', options.pid, 'give the host pid of the container init (Container.pid())');
  }
  const config = await loadNetworkConfig();
  let leased: { lease: Lease; warnings: string[] } | undefined;
  try {
    // One lock hold for lease, veth and rules: a security group update cannot slip in between.
    leased = await withNetworkLock(async () => {
      const existing = (await readLeases(config.subnet)).leases[normalized.containerId];
      // Attaching twice must not tear down a working network.
      if (existing?.attached && existsSync(`/sys/class/net/${vethName(existing.short)}`)) return { lease: existing, warnings: [] };
      const { lease, rules, warnings } = await leaseLocked(normalized, config, true);
      // The rules name the veth before it exists: both can be set up at once, but both must have
      // finished before a failure of either runs the teardown below (rules restored after it were
      // left behind, DNATing a host port the next lease gets to an address nobody has).
      await allSettled([
        plugVeth(lease, options.pid, config),
        restore(
          attachScript({ short: lease.short, ip: lease.ip, hostPorts: lease.hostPorts, rules, label: logLabel(lease) }),
          `adding iptables rules for container ${lease.containerId}`,
        ),
      ]);
      await configureEth0(lease, options.pid, config);
      return { lease, warnings };
    });
  } catch (error) {
    await teardownNetwork(normalized.containerId).catch(() => undefined);
    throw error;
  }
  const { lease, warnings } = leased;
  const teardown = () => teardownNetwork(lease.containerId);
  return { containerId: lease.containerId, ...prepared(lease, config, warnings), teardown };
}

async function removeVeths(veths: string[]): Promise<void> {
  if (!veths.length) return;
  await run('ip', ['-force', '-batch', '-'], { step: 'removing veths', allowFail: true, input: veths.map((veth) => `link del ${veth}`).join('\n') + '\n' });
}

/** Remove the iptables state of containers: the exact inverse for one, a search of iptables-save otherwise. */
async function removeRules(leases: Pick<Lease, 'short' | 'ip' | 'hostPorts' | 'containerId'>[]): Promise<number> {
  if (leases.length === 1) {
    const script = detachScript(leases[0]!);
    try {
      await restore(script, `removing iptables rules of container ${leases[0]!.containerId}`);
      return deletedRules(script);
    } catch {
      // Some part was already gone (a teardown interrupted before): fall back to searching.
    }
  }
  const script = leftoverScript(parseSave(await iptablesSave()), new Set(leases.map((lease) => lease.short)));
  await restore(script, 'removing leftover iptables rules');
  return deletedRules(script);
}

/** Remove what containers have in the kernel (veths, rules, chains); tolerates parts already gone. */
export async function removeKernelState(leases: Pick<Lease, 'short' | 'ip' | 'hostPorts' | 'containerId'>[]): Promise<{ veths: string[]; rulesRemoved: number }> {
  const veths = leases.map((lease) => vethName(lease.short)).filter((veth) => existsSync(`/sys/class/net/${veth}`));
  const [, rulesRemoved] = await Promise.all([removeVeths(veths), removeRules(leases)]);
  return { veths, rulesRemoved };
}

/** Tear down a container's network; safe to call twice and for containers never attached. */
export async function teardownNetwork(containerId: string): Promise<void> {
  const lease = (await readLeases()).leases[containerId];
  if (!lease) return;
  await removeKernelState([lease]);
  await withNetworkLock(async () => {
    const file = await readLeases();
    if (file.leases[containerId]) {
      delete file.leases[containerId];
      await writeLeases(file);
    }
    await releaseLocked(containerOwner(containerId));
  });
  // Port claims by container id are those of leases an older dropship took.
  await releaseClaims(containerId, lease.ip, lease.hostPorts.map((port) => port.host));
  await rm(containerFilesDir(lease.short), { recursive: true, force: true });
}

/** Set up the host's sysctls and base chains now (idempotent); returns the configuration used. */
export async function ensureNetwork(): Promise<NetworkConfig> {
  const config = await loadNetworkConfig();
  await withNetworkLock(() => ensureHostNetwork(config));
  return config;
}
