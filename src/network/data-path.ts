import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { loadNetworkConfig, type NetworkConfig } from './config.js';
import { removeScript, setBackendsScript, storeDataPaths, type Backend } from './data-path-rules.js';
import { ensureHostNetwork, iptablesSave, restore } from './host.js';
import { readHostPorts } from './host-ports.js';
import { formatIp, parseIp } from './ipv4.js';
import { parseSave } from './iptables-rules.js';
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

/**
 * Point `hostPort` (every host address, 127.0.0.1 included) at `backends` (container addresses)
 * with kernel NAT, spread at random per new connection; an empty list refuses connections at once
 * (TCP reset). The port must be reserved by `owner` (reserveHostPort, same owner name). The
 * owner's rules are replaced whole, in one iptables transaction per table, and stay in the kernel
 * after this process exits. Idempotent: the same call twice leaves the same rules.
 */
export async function setBackends(owner: string, hostPort: number, backends: Backend[]): Promise<void> {
  const config = await loadNetworkConfig();
  const wanted = checkInput(owner, hostPort, backends, config);
  const home = homePaths().root;
  const short = dataPathShort(home, owner);
  await withNetworkLock(async () => {
    // The reservation is what keeps the data path through `gc`, and what keeps two owners off one port.
    const holder = (await readHostPorts()).ports[hostPort]?.owner;
    if (holder !== owner) {
      throw new DropshipError('PORT_NOT_RESERVED', `data path of '${owner}': host port ${hostPort} is ${holder ? `reserved by ${holder}` : 'not reserved'}`, {
        hint: `reserve it first: reserveHostPort('${owner}'${holder ? '' : `, ${hostPort}`}) gives the owner its port`,
      });
    }
    await ensureHostNetwork(config);
    const saved = parseSave(await iptablesSave());
    await restore(
      setBackendsScript(saved, { short, store: storeTag(home), hostPort, backends: wanted }),
      `pointing host port ${hostPort} of '${owner}' at ${wanted.length} backend(s) (chain ${dpChain(short)})`,
    );
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
