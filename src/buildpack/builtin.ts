import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/**
 * The built-in detect order, Cloud Foundry's idea: specific language buildpacks before the
 * generic Procfile one; binary never detects. Directories not listed here follow, sorted.
 */
const BUILTIN_ORDER = ['staticfile', 'nodejs', 'procfile', 'binary'];

/** `buildpacks/` of the package: ../../buildpacks from both src/buildpack and dist/buildpack. */
export function builtinBuildpacksDir(): string {
  return fileURLToPath(new URL('../../buildpacks/', import.meta.url));
}

export async function builtinNames(): Promise<string[]> {
  const root = builtinBuildpacksDir();
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const names = entries.filter((e) => e.isDirectory() && existsSync(join(root, e.name, 'bin'))).map((e) => e.name);
  const known = BUILTIN_ORDER.filter((n) => names.includes(n));
  return [...known, ...names.filter((n) => !known.includes(n)).sort()];
}
