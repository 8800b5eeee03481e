import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMounted, listContainers, unmount } from '../container/index.js';
import { homePaths } from '../home.js';
import { removeSandboxes } from '../sandbox/index.js';
import { removeStagingCache } from './cache.js';
import { ownerAlive, parseOwner, type StagingOwner } from '../util/owner.js';
import { removeTree } from '../util/remove-tree.js';

/** The file in which stagings before owner-named work dirs recorded their owner; gc still reads it. */
const OWNER_FILE = 'owner';
/** Label of containers whose life is one process's (staging, tasks): `pid:start` of that process. */
export const OWNER_LABEL = 'owner';

/** mkdtemp's prefix of a staging's work dir: `staging-NAME-PID.START-` (the owner as formatOwner writes it, `:` → `.`). */
export function workDirPrefix(app: string, owner: string): string {
  return `staging-${app}-${owner.replace(':', '.')}-`;
}

/** The owner a work dir's name records (mkdtemp adds six characters after the prefix). */
function ownerInName(name: string): StagingOwner | undefined {
  const match = /-(\d+)\.(\d+)-[^-]{6}$/.exec(name);
  return match ? parseOwner(`${match[1]}:${match[2]}`) : undefined;
}

export interface OrphanReport {
  /** Containers (with their network lease) whose owner is gone. */
  containers: string[];
  /** Staging work dirs (with the staging disk mounted in them) whose owner is gone. */
  workDirs: string[];
  /** Staging caches of names that are no app (deleted apps; `dropship stage --name X` never pushed). */
  caches: string[];
}

/**
 * What a staging (or a task) killed with -9 leaves: its container (mount, cgroups, bundle), its
 * network lease, its work dir with the staging disk mounted in it. Each records the process that
 * owns it; this removes those whose owner is no longer running. A live owner's are never touched.
 * Then the staging caches of names that are not apps (each under its staging lock).
 */
export async function gcOrphans(options: { home?: string; dryRun?: boolean } = {}): Promise<OrphanReport> {
  const report: OrphanReport = { containers: [], workDirs: [], caches: [] };
  const containers = homePaths(options.home).containers;
  for (const container of await listContainers()) {
    // The runtime lists every store's containers: another store's are its own gc's business.
    if (!container.bundle.startsWith(`${containers}/`)) continue;
    const owner = parseOwner(container.labels[OWNER_LABEL]);
    if (!owner || (await ownerAlive(owner))) continue;
    report.containers.push(container.id);
  }
  if (!options.dryRun) await removeSandboxes(report.containers);
  const tmp = homePaths(options.home).tmp;
  for (const name of (await readdir(tmp).catch(() => [] as string[])).sort()) {
    if (!name.startsWith('staging-')) continue;
    const dir = join(tmp, name);
    // An owner file (older stagings) is read first: their names end in the app's, and `web-1.5-XXXXXX` reads as an owner.
    const owner = parseOwner(await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => undefined)) ?? ownerInName(name);
    if (!owner || (await ownerAlive(owner))) continue;
    report.workDirs.push(dir);
    if (options.dryRun) continue;
    // The staging disk is mounted inside; rm must never descend into it (or into a cache it holds).
    if (await isMounted(join(dir, 'disk'))) await unmount(join(dir, 'disk'));
    await removeTree(dir);
  }
  const paths = homePaths(options.home);
  for (const name of (await readdir(paths.cache).catch(() => [] as string[])).sort()) {
    if (await stat(join(paths.apps, name)).catch(() => undefined)) continue;
    report.caches.push(name);
    if (!options.dryRun) await removeStagingCache(name, options.home);
  }
  return report;
}
