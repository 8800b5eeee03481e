import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DropshipError } from '../errors.js';
import { isFile } from '../util/fs.js';
import type { Digest } from '../oci/index.js';

/** rootfs/ of the installed package: two levels up from src/stack or dist/stack. */
export function recipesRoot(): string {
  return process.env.DROPSHIP_ROOTFS_DIR ?? fileURLToPath(new URL('../../rootfs/', import.meta.url));
}

/** Names of the stacks this installation can build: each directory of rootfs/ with a build.sh. */
export async function knownStacks(): Promise<string[]> {
  const root = recipesRoot();
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const known: string[] = [];
  for (const name of names.sort()) {
    if (await isFile(join(root, name, 'build.sh'))) known.push(name);
  }
  return known;
}

export async function recipeDir(name: string): Promise<string> {
  const known = await knownStacks();
  if (!known.includes(name)) {
    throw new DropshipError('UNKNOWN_STACK', `unknown stack '${name}'`, {
      hint: known.length ? `known stacks: ${known.join(', ')}` : `no stack recipes found in ${recipesRoot()}`,
      details: { known },
    });
  }
  return join(recipesRoot(), name);
}

/** A digest of the recipe's files (paths, executable bits, contents): it changes when the recipe does. */
export async function recipeDigest(dir: string): Promise<Digest> {
  const hash = createHash('sha256');
  async function walk(rel: string): Promise<void> {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const path = join(dir, rel, name);
      const stats = await stat(path);
      const relPath = rel ? `${rel}/${name}` : name;
      if (stats.isDirectory()) {
        await walk(relPath);
      } else {
        hash.update(`${relPath}\0${stats.mode & 0o111 ? 'x' : '-'}\0`);
        hash.update(await readFile(path));
        hash.update('\0');
      }
    }
  }
  await walk('');
  return `sha256:${hash.digest('hex')}`;
}

/** The stack push, stage and run use when none is named: the full Debian one, as on Cloud Foundry. */
export const DEFAULT_STACK = 'bookworm';
