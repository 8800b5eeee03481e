import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { claim, releaseClaims } from './claims.js';
import { withNetworkLock } from './leases.js';
import { DEFAULT_CONTAINER_PORT, PORT_POOL_END, PORT_POOL_START } from './ports.js';
import type { HostPort, PortMapping } from './types.js';

/**
 * The one table of host ports: an app's port (kept for the app's life) and the ports of task and
 * container leases (owner `container:<id>`) come from here, so no two owners get the same port.
 * Persistent in the store; each port is also claimed host-wide (claims.ts) against other stores.
 */
export interface HostPortTable {
  version: 1;
  /** Port (as text, JSON keys) to its owner. */
  ports: Record<string, { owner: string; since: string }>;
}

export const hostPortsPath = (): string => join(homePaths().network, 'host-ports.json');

/** The owner name of a container lease's ports. */
export const containerOwner = (containerId: string): string => `container:${containerId}`;

export async function readHostPorts(): Promise<HostPortTable> {
  try {
    return JSON.parse(await readFile(hostPortsPath(), 'utf8')) as HostPortTable;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, ports: {} };
    throw new DropshipError('INVALID_HOST_PORTS', `${hostPortsPath()}: cannot read host port reservations: ${(error as Error).message}`, {
      hint: 'fix the file from its JSON error, or move it away (apps then get new host ports)',
      cause: error,
    });
  }
}

async function writeHostPorts(table: HostPortTable): Promise<void> {
  await writeJsonAtomic(hostPortsPath(), table, { mode: 0o600 });
}

export function portsOf(table: HostPortTable, owner: string): number[] {
  return Object.entries(table.ports)
    .filter(([, entry]) => entry.owner === owner)
    .map(([port]) => Number(port));
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function inUse(port: number, owner: string | undefined, why: string): DropshipError {
  return new DropshipError('PORT_IN_USE', `host port ${port} is already in use${owner ? ` by ${owner}` : ''}${why}`, {
    hint: 'choose another host port, or leave it out to get one from the pool',
  });
}

/**
 * Take `wanted.length` ports for `owner` (under the network lock): each asked-for port must be
 * free in the table, on this host (bindable) and host-wide; the others are the lowest free ones
 * of the pool. `taken` are ports held outside the table (leases of an older dropship).
 */
async function takeLocked(table: HostPortTable, owner: string, wanted: (number | undefined)[], taken: Set<number>): Promise<number[]> {
  const got: number[] = [];
  const release = () => releaseClaims(owner, '', got);
  try {
    for (const port of wanted) {
      if (port === undefined) continue;
      const holder = table.ports[port]?.owner;
      if ((holder && holder !== owner) || taken.has(port) || got.includes(port)) throw inUse(port, holder, '');
      if (holder !== owner && !(await canBind(port))) throw inUse(port, undefined, ' on this host (something is bound to it)');
      if (!(await claim('port', port, owner))) throw inUse(port, undefined, ' by another dropship store on this host');
      got.push(port);
    }
    const result: number[] = [];
    let next = PORT_POOL_START;
    for (const port of wanted) {
      if (port !== undefined) {
        result.push(port);
        continue;
      }
      for (; ; next++) {
        if (next > PORT_POOL_END) {
          throw new DropshipError('PORT_POOL_EXHAUSTED', `no free host port left in ${PORT_POOL_START}-${PORT_POOL_END}`, {
            hint: 'stop or delete what you no longer need, then run `dropship gc`',
          });
        }
        if (table.ports[next] || taken.has(next) || got.includes(next)) continue;
        if ((await canBind(next)) && (await claim('port', next, owner))) break;
      }
      got.push(next);
      result.push(next++);
    }
    const since = new Date().toISOString();
    for (const port of got) table.ports[port] ??= { owner, since };
    return result;
  } catch (error) {
    await release();
    throw error;
  }
}

function dropLocked(table: HostPortTable, owner: string, keep: number[] = []): number[] {
  const dropped = portsOf(table, owner).filter((port) => !keep.includes(port));
  for (const port of dropped) delete table.ports[port];
  return dropped;
}

/**
 * The host port of `owner`, reserved for as long as the owner lives: the one it already holds
 * (asking again is a no-op), else `requested`, else the lowest free port of the pool. Asking for a
 * different port moves the owner there. Refuses a port another owner holds, naming that owner.
 */
export async function reserveHostPort(owner: string, requested?: number): Promise<number> {
  if (!owner) throw new DropshipError('INVALID_HOST_PORT_OWNER', 'reserveHostPort: owner is empty', { hint: 'name the owner, e.g. the app' });
  if (requested !== undefined && !(Number.isInteger(requested) && requested >= 1 && requested <= 65535)) {
    throw new DropshipError('INVALID_PORT', `host port ${JSON.stringify(requested)} is not a port`, { hint: 'give an integer 1-65535' });
  }
  return withNetworkLock(async () => {
    const table = await readHostPorts();
    const held = portsOf(table, owner);
    if (held.length && (requested === undefined || held.includes(requested))) {
      const port = requested ?? held[0]!;
      // After a reboot /run is empty: the host-wide claim is taken again.
      if (!(await claim('port', port, owner))) throw inUse(port, undefined, ' by another dropship store on this host');
      return port;
    }
    const [port] = await takeLocked(table, owner, [requested], new Set());
    const dropped = dropLocked(table, owner, [port!]);
    await writeHostPorts(table);
    await releaseClaims(owner, '', dropped);
    return port!;
  });
}

/** Give back every port of `owner` (no-op when it holds none). */
export async function releaseHostPort(owner: string): Promise<void> {
  await withNetworkLock(() => releaseLocked(owner));
}

export async function releaseLocked(owner: string): Promise<number[]> {
  const table = await readHostPorts();
  const dropped = dropLocked(table, owner);
  if (dropped.length) await writeHostPorts(table);
  await releaseClaims(owner, '', dropped);
  return dropped;
}

/** The port `owner` holds, if any. */
export async function hostPortOf(owner: string): Promise<number | undefined> {
  return portsOf(await readHostPorts(), owner)[0];
}

/** Every owner with a reservation (what `gc` keeps the data path of). */
export async function hostPortOwners(): Promise<Map<string, number[]>> {
  const owners = new Map<string, number[]>();
  for (const [port, entry] of Object.entries((await readHostPorts()).ports)) owners.set(entry.owner, [...(owners.get(entry.owner) ?? []), Number(port)]);
  return owners;
}

/** Host ports for a container lease, in the same table (call under the network lock). */
export async function reserveLeasePortsLocked(containerId: string, wanted: PortMapping[], taken: Set<number>): Promise<HostPort[]> {
  if (!wanted.length) return [];
  const table = await readHostPorts();
  const owner = containerOwner(containerId);
  dropLocked(table, owner);
  const hosts = await takeLocked(table, owner, wanted.map((mapping) => mapping.host), taken);
  await writeHostPorts(table);
  return hosts.map((host, i) => ({ host, container: wanted[i]!.container ?? DEFAULT_CONTAINER_PORT }));
}
