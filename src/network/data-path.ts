import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { loadNetworkConfig, type NetworkConfig } from './config.js';
import { removeScript, setBackendsScript, storeDataPaths, type Backend } from './data-path-rules.js';
import { ensureHostNetwork, iptablesSave, restore } from './host.js';
import { readHostPorts } from './host-ports.js';
import { formatIp, parseIp } from './ipv4.js';
import { emptyScript, parseSave, TABLES } from './iptables-rules.js';
import { withNetworkLock } from './leases.js';
import { dataPathShort, dpChain, storeTag } from './names.js';

export type { Backend } from './data-path-rules.js';

function validPort(port: unknown): boolean {
  return Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535;
}

function checkInput(owner: string, hostPort: number, backends: Backend[], config: NetworkConfig): Backend[] {
  const invalid = (field: string, value: unknown, hint: string) =>
    new DropshipError('INVALID_DATA_PATH', `data path of '${owner}': ${field} ${JSON.stringify(value)} is not valid`, { hint });
  if (!owner) throw invalid('owner', owner, 'name the owner (the app)');
  if (!validPort(hostPort)) throw invalid('hostPort', hostPort, 'give the integer host port the owner reserved');
  const seen = new Set<string>();
  for (const backend of backends) {
    const ip = parseIp(backend.ip);
    if (ip === undefined) throw invalid('backend ip', backend.ip, 'give an IPv4 address such as 10.254.0.2');
    // Only containers: a host port must never become a way in to the host's own services.
    if (ip < config.first || ip > config.last) {
      throw invalid('backend ip', backend.ip, `backends are container addresses, in ${config.subnet} (from ${formatIp(config.first)})`);
    }
    if (!validPort(backend.port)) throw invalid('backend port', backend.port, 'give an integer port 1-65535');
    seen.add(`${backend.ip}:${backend.port}`);
  }
  // A backend listed twice would get twice the share; the order is fixed so equal sets give equal rules.
  return [...seen].sort().map((text) => ({ ip: text.split(':')[0]!, port: Number(text.split(':')[1]) }));
}

/** One owner's data path as setManyBackends takes it. */
export interface DataPathChange {
  owner: string;
  hostPort: number;
  backends: Backend[];
}

/**
 * Point `hostPort` (every host address, 127.0.0.1 included) at `backends` (container addresses)
 * with kernel NAT, spread at random per new connection; an empty list refuses connections at once
 * (TCP reset). The port must be reserved by `owner` (reserveHostPort, same owner name). The
 * owner's rules are replaced whole, in one iptables transaction per table, and stay in the kernel
 * after this process exits. Idempotent: the same call twice leaves the same rules.
 */
export async function setBackends(owner: string, hostPort: number, backends: Backend[]): Promise<void> {
  await setManyBackends([{ owner, hostPort, backends }]);
}

/**
 * setBackends for several owners at once (a daemon rolling many apps): one hold of the network
 * lock, one read of the rules, one transaction per table for all of them. Each owner's chains are
 * its own, so the scripts touch disjoint rules; one owner's bad input or port fails them all,
 * before anything is written.
 */
export async function setManyBackends(changes: DataPathChange[]): Promise<void> {
  if (!changes.length) return;
  const config = await loadNetworkConfig();
  const wanted = changes.map((change) => ({ ...change, backends: checkInput(change.owner, change.hostPort, change.backends, config) }));
  const home = homePaths().root;
  await withNetworkLock(async () => {
    const ports = (await readHostPorts()).ports;
    for (const { owner, hostPort } of wanted) {
      // The reservation is what keeps the data path through `gc`, and what keeps two owners off one port.
      const holder = ports[hostPort]?.owner;
      if (holder !== owner) {
        throw new DropshipError('PORT_NOT_RESERVED', `data path of '${owner}': host port ${hostPort} is ${holder ? `reserved by ${holder}` : 'not reserved'}`, {
          hint: `reserve it first: reserveHostPort('${owner}'${holder ? '' : `, ${hostPort}`}) gives the owner its port`,
        });
      }
    }
    await ensureHostNetwork(config);
    const saved = parseSave(await iptablesSave());
    const script = emptyScript();
    for (const { owner, hostPort, backends } of wanted) {
      const own = setBackendsScript(saved, { short: dataPathShort(home, owner), store: storeTag(home), hostPort, backends });
      for (const table of TABLES) script[table].push(...own[table]);
    }
    const step =
      wanted.length === 1
        ? `pointing host port ${wanted[0]!.hostPort} of '${wanted[0]!.owner}' at ${wanted[0]!.backends.length} backend(s) (chain ${dpChain(dataPathShort(home, wanted[0]!.owner))})`
        : `pointing the host ports of ${wanted.map((w) => `'${w.owner}'`).join(', ')} at their backends`;
    await restore(script, step);
  });
}

/** Remove the owner's data path; nothing to do when it has none. */
export async function removeDataPath(owner: string): Promise<void> {
  const short = dataPathShort(homePaths().root, owner);
  await withNetworkLock(async () => {
    const saved = parseSave(await iptablesSave());
    await restore(removeScript(saved, new Set([short])), `removing the data path of '${owner}' (chain ${dpChain(short)})`);
  });
}

/**
 * Remove this store's data paths whose owner is not in `liveOwners` (by default: the owners that
 * hold a host port reservation). Returns the chains removed. Other stores' data paths stay.
 */
export async function gcDataPaths(options: { liveOwners?: string[]; dryRun?: boolean } = {}): Promise<string[]> {
  const home = homePaths().root;
  const owners = options.liveOwners ?? [...new Set(Object.values((await readHostPorts()).ports).map((entry) => entry.owner))];
  const live = new Set(owners.map((owner) => dataPathShort(home, owner)));
  const run = async () => {
    const saved = parseSave(await iptablesSave());
    const dead = new Set([...storeDataPaths(saved, storeTag(home))].filter((short) => !live.has(short)));
    if (dead.size && !options.dryRun) await restore(removeScript(saved, dead), `removing ${dead.size} data path(s) whose owner is gone`);
    return [...dead].map(dpChain).sort();
  };
  return options.dryRun ? run() : withNetworkLock(run);
}
