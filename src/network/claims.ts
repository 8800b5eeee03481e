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
  containerId: string;
}

function claimPath(kind: 'ip' | 'port', value: string | number): string {
  return join(CLAIMS_DIR, `${kind}-${value}`);
}

async function ownerLive(owner: Partial<Owner>, path: string): Promise<boolean> {
  const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => Infinity);
  if (age < GRACE_MS) return true;
  if (!owner.home || !owner.containerId) return false;
  const text = await readFile(join(owner.home, 'network', 'leases.json'), 'utf8').catch(() => '{"leases":{}}');
  try {
    return owner.containerId in ((JSON.parse(text) as { leases?: Record<string, unknown> }).leases ?? {});
  } catch {
    return true;
  }
}

/** Claim an address or port for a container; false when another live container holds it. */
export async function claim(kind: 'ip' | 'port', value: string | number, containerId: string): Promise<boolean> {
  const owner: Owner = { home: homePaths().root, containerId };
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
    if (other.home === owner.home && other.containerId === containerId) return true;
    if (await ownerLive(other, path)) return false;
    await rm(path, { force: true });
  }
  return false;
}

/** Give back a container's claims; claims that another container took over are left alone. */
export async function releaseClaims(containerId: string, ip: string, ports: number[]): Promise<void> {
  const home = homePaths().root;
  const paths = [...(ip ? [claimPath('ip', ip)] : []), ...ports.map((port) => claimPath('port', port))];
  await Promise.all(
    paths.map(async (path) => {
      const text = await readFile(path, 'utf8').catch(() => '');
      try {
        const owner = JSON.parse(text) as Partial<Owner>;
        if (owner.home === home && owner.containerId === containerId) await rm(path, { force: true });
      } catch {
        // Unreadable or gone: nothing of ours to release.
      }
    }),
  );
}
