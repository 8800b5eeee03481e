import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { homePaths } from '../home.js';

/**
 * The bridge and the host ports belong to the whole host, but leases live in one dropship store
 * ($DROPSHIP_HOME): two stores on one host (a test store beside /var/lib/dropship) would hand out
 * the same address. Each address and host port is therefore also claimed host-wide, by creating
 * a file exclusively; a claim whose store no longer holds the lease is stale and taken over.
 */
export const CLAIMS_DIR = '/run/dropship/network-claims';

/** A fresh claim may not have reached its store's lease file yet. */
const GRACE_MS = 60_000;

interface Owner {
  home: string;
  /** The container holding an address or a lease port (what older dropship versions check). */
  containerId: string;
  /** For ports: the owner in the store's host-port table (host-ports.ts). */
  owner?: string;
}

const CONTAINER_OWNER = 'container:';

function claimPath(kind: 'ip' | 'port', value: string | number): string {
  return join(CLAIMS_DIR, `${kind}-${value}`);
}

async function readJson<T>(path: string, empty: T): Promise<T | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return empty;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

async function ownerLive(owner: Partial<Owner>, path: string, value: string | number): Promise<boolean> {
  const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => Infinity);
  if (age < GRACE_MS) return true;
  if (!owner.home || !owner.containerId) return false;
  if (owner.owner) {
    const table = await readJson<{ ports?: Record<string, { owner: string }> }>(join(owner.home, 'network', 'host-ports.json'), {});
    // Unreadable: keep the claim rather than hand the port out twice.
    return !table || table.ports?.[value]?.owner === owner.owner;
  }
  const leases = await readJson<{ leases?: Record<string, unknown> }>(join(owner.home, 'network', 'leases.json'), {});
  return !leases || owner.containerId in (leases.leases ?? {});
}

/**
 * Claim an address (for a container) or a port (for an owner of the host-port table); false when
 * another live holder has it.
 */
export async function claim(kind: 'ip' | 'port', value: string | number, holder: string): Promise<boolean> {
  const owner: Owner =
    kind === 'port'
      ? { home: homePaths().root, containerId: holder.startsWith(CONTAINER_OWNER) ? holder.slice(CONTAINER_OWNER.length) : holder, owner: holder }
      : { home: homePaths().root, containerId: holder };
  const path = claimPath(kind, value);
  try {
    await mkdir(CLAIMS_DIR, { recursive: true, mode: 0o755 });
  } catch {
    // Not root (a unit test, a dry run): there is no host network to share.
    return true;
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, JSON.stringify(owner), { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return true;
    }
    const text = await readFile(path, 'utf8').catch(() => '{}');
    let other: Partial<Owner> = {};
    try {
      other = JSON.parse(text) as Partial<Owner>;
    } catch {
      // A claim being written right now reads as empty: the grace period keeps it.
    }
    if (other.home === owner.home && other.containerId === owner.containerId && other.owner === owner.owner) return true;
    if (await ownerLive(other, path, value)) return false;
    await rm(path, { force: true });
  }
  return false;
}

/** Give back the claims of a container (its address) or a port owner; claims another holder took over are left alone. */
export async function releaseClaims(holder: string, ip: string, ports: number[]): Promise<void> {
  const home = homePaths().root;
  const paths = [...(ip ? [claimPath('ip', ip)] : []), ...ports.map((port) => claimPath('port', port))];
  await Promise.all(
    paths.map(async (path) => {
      const text = await readFile(path, 'utf8').catch(() => '');
      try {
        const owner = JSON.parse(text) as Partial<Owner>;
        if (owner.home === home && (owner.owner ?? owner.containerId) === holder) await rm(path, { force: true });
      } catch {
        // Unreadable or gone: nothing of ours to release.
      }
    }),
  );
}

/** Whether a live holder (of any store on this host) claims `ip` now. */
export async function addressClaimed(ip: string): Promise<boolean> {
  const path = claimPath('ip', ip);
  const owner = await readJson<Partial<Owner> | null>(path, null);
  if (owner === null) return false;
  // Unreadable (being written right now): the grace period keeps it.
  return ownerLive(owner ?? {}, path, ip);
}
