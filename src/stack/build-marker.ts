import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../oci/index.js';
import { type StackPackage, packagesDigest, sortPackages } from './packages.js';

/** Inside every stack layer: which recipe and which packages it was built from. */
export const BUILD_MARKER = 'etc/dropship-stack-build';

/**
 * The marker's text, os-release style (KEY=value, sourceable by sh). It names the build by its
 * inputs — a layer cannot hold its own digest — so a process can tell which stack build its root
 * filesystem is from the host, through /proc/<pid>/root, whatever the image tag says. Being
 * derived from the package list, it also makes a package change a layer change even when the
 * package's files did not change.
 */
export function buildMarker(stack: string, recipe: Digest, packages: StackPackage[]): string {
  return [
    '# The stack build this root filesystem comes from (written by dropship stack build).',
    `DROPSHIP_STACK=${stack}`,
    `DROPSHIP_STACK_RECIPE=${recipe}`,
    `DROPSHIP_STACK_PACKAGES=${packagesDigest(packages)}`,
    `DROPSHIP_STACK_PACKAGE_COUNT=${sortPackages(packages).length}`,
    '',
  ].join('\n');
}

export async function writeBuildMarker(rootfs: string, stack: string, recipe: Digest, packages: StackPackage[]): Promise<void> {
  await mkdir(join(rootfs, 'etc'), { recursive: true, mode: 0o755 });
  const path = join(rootfs, BUILD_MARKER);
  // Replace whatever the recipe left at this name; O_EXCL never writes through a link.
  await rm(path, { force: true });
  await writeFile(path, buildMarker(stack, recipe, packages), { mode: 0o644, flag: 'wx' });
}
