import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { dropshipHome, homePaths } from './home.js';

/**
 * The store is closed to other local users (Docker's /var/lib/docker is 0710, GrootFS's store
 * 0700). Only the path runc pivots into as the mapped container root — <home>/containers/<id>/rootfs
 * — needs search permission beyond root: the home and containers/ are 0711 (traverse, never list),
 * and each bundle is 0710 with the group of its mapped root (see container/bundle.ts), so no other
 * user reaches a rootfs, an upper dir or a loop disk. Overlayfs reads lower and upper dirs with the
 * mounter's (host root's) credentials and runc opens bind-mount sources before it enters the user
 * namespace, so unpacked layers, caches, staging work dirs, logs and leases are all 0700.
 */
export const TRAVERSED_MODE = 0o711;
export const PRIVATE_MODE = 0o700;

/** Top-level entries the mapped container root must traverse; every other one is private. */
const TRAVERSED = new Set(['containers']);

export function storeModeFor(name: string): number {
  return TRAVERSED.has(name) ? TRAVERSED_MODE : PRIVATE_MODE;
}

const secured = new Map<string, Promise<void>>();

/**
 * Create the store's top-level directories with their modes and tighten whatever an older
 * dropship (or a hand-made store) left wider: group and other bits go from every top-level
 * entry but containers/, and from every bundle's "other" bits. Done once per store and process.
 */
export function secureStore(root: string = dropshipHome()): Promise<void> {
  let done = secured.get(root);
  if (!done) {
    done = tighten(root);
    secured.set(root, done);
    done.catch(() => secured.delete(root));
  }
  return done;
}

async function tighten(root: string): Promise<void> {
  await mkdir(root, { recursive: true, mode: TRAVERSED_MODE });
  await chmod(root, TRAVERSED_MODE);
  const paths = homePaths(root);
  const known = Object.entries(paths).filter(([key]) => key !== 'root').map(([, path]) => path);
  // Created here so that no later `mkdir -p` makes one with the umask's 0755.
  await Promise.all(known.map((dir) => mkdir(dir, { mode: PRIVATE_MODE }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  })));
  // Every command waits for this: the entries are checked side by side, not one after another.
  await Promise.all((await readdir(root)).map(async (name) => {
    const path = join(root, name);
    const info = await lstat(path);
    if (info.isSymbolicLink()) return;
    const wanted = info.isDirectory() ? storeModeFor(name) : (info.mode & 0o777 & ~0o077);
    if ((info.mode & 0o7777) !== wanted) await chmod(path, wanted);
  }));
  await Promise.all((await readdir(paths.containers)).map(async (id) => {
    const path = join(paths.containers, id);
    const info = await lstat(path);
    if (info.isDirectory() && (info.mode & 0o007) !== 0) await chmod(path, info.mode & 0o7770);
  }));
}
