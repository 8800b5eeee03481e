import { chmod, chown, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { secureStore } from '../store-modes.js';
import type { OciSpec } from './spec/oci.js';

export function containersDir(): string {
  return homePaths().containers;
}

export function bundleDir(id: string): string {
  return join(containersDir(), id);
}

/**
 * The mapped root (an unprivileged host uid) must traverse every directory down to the rootfs.
 * Above the home dropship changes nothing and says which directory is in the way; the home and
 * containers/ are 0711 (store-modes.ts).
 */
const traversable = new Set<string>();

async function ensureTraversable(dir: string): Promise<void> {
  if (traversable.has(dir)) return;
  const home = homePaths().root;
  for (let current = dir; current !== dirname(current); current = dirname(current)) {
    const info = await stat(current);
    if ((info.mode & 0o001) !== 0) continue;
    if (current === home || current.startsWith(home + '/')) {
      await chmod(current, (info.mode & 0o7777) | 0o011);
      continue;
    }
    throw new DropshipError('HOME_NOT_TRAVERSABLE', `${current} (mode ${(info.mode & 0o7777).toString(8)}) cannot be traversed by container root, an unprivileged host uid`, {
      hint: `run \`chmod o+x ${current}\`, or set DROPSHIP_HOME to a directory under /var/lib`,
    });
  }
  traversable.add(dir);
}

/**
 * A bundle is 0710, group the container's mapped root (`rootGid`): runc, as that root, can
 * pivot into its rootfs, while no other local user can reach the rootfs mount, the upper dir
 * (which holds whatever setuid files the container made) or the loop disk.
 */
export async function createBundle(id: string, rootGid: number): Promise<string> {
  const dir = bundleDir(id);
  await secureStore(homePaths().root);
  await ensureTraversable(containersDir());
  try {
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, 0, rootGid);
    await chmod(dir, 0o710);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new DropshipError('CONTAINER_EXISTS', `container ${id} already exists (${dir})`, {
      hint: "choose another id; a leftover of a crashed run is removed with the library's cleanupContainer(id)",
    });
  }
  return dir;
}

/** A bundle lives only as long as its container, so the spec is written without fsync. */
export async function writeSpec(bundle: string, spec: OciSpec, file = 'config.json'): Promise<string> {
  const path = join(bundle, file);
  await writeFile(path, JSON.stringify(spec), { mode: 0o600 });
  return path;
}

export async function removeBundle(bundle: string): Promise<void> {
  await rm(bundle, { recursive: true, force: true });
}
