import { readFile } from 'node:fs/promises';
import { DropshipError } from '../errors.js';
// Not oci/index.js: that face also loads the registry client (see stack/index.ts).
import { type Digest, sha256Digest } from '../oci/digest.js';

/** One Debian package in a stack build. */
export interface StackPackage {
  name: string;
  version: string;
  /** Debian architecture: amd64, arm64, all. */
  arch: string;
}

// Debian policy §5.6.1 (names) and §5.6.12 (versions: [epoch:]upstream[-revision]).
const NAME = /^[a-z0-9][a-z0-9+.-]+$/;
const VERSION = /^(?:\d+:)?[A-Za-z0-9.+~-]+$/;
const ARCH = /^[a-z0-9-]+$/;

/**
 * Parse the package list a recipe writes to $DROPSHIP_PACKAGES: one `name<TAB>version<TAB>arch`
 * line per package (what `dpkg-query -W -f` and `dpkg-deb -f` print). The recipe runs as root
 * but from files we ship, so a malformed line is a recipe bug: refuse it by line number rather
 * than record a half-true SBOM.
 */
export function parsePackageList(text: string, source: string): StackPackage[] {
  const packages: StackPackage[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const [name, version, arch, ...rest] = line.split('\t');
    if (!name || !version || !arch || rest.length > 0 || !NAME.test(name) || !VERSION.test(version) || !ARCH.test(arch)) {
      throw new DropshipError('STACK_PACKAGES_INVALID', `${source}:${index + 1}: '${line}' is not 'name<TAB>version<TAB>arch'`, {
        hint: "the stack recipe must write one line per package, as dpkg-query -W -f '${Package}\\t${Version}\\t${Architecture}\\n' prints",
      });
    }
    packages.push({ name, version, arch });
  });
  return sortPackages(packages);
}

export async function readPackageList(path: string): Promise<StackPackage[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    // A recipe that knows no packages (a test recipe, a hand-made tree) records an empty list.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return parsePackageList(text, path);
}

/** Sorted by name, then arch, duplicates dropped: the same packages always give the same list. */
export function sortPackages(packages: StackPackage[]): StackPackage[] {
  const seen = new Set<string>();
  return [...packages]
    .sort((a, b) => cmp(a.name, b.name) || cmp(a.arch, b.arch) || cmp(a.version, b.version))
    .filter((p) => {
      const key = `${p.name}\t${p.arch}\t${p.version}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** The canonical text of a package list; its digest names "these exact packages". */
export function packageListText(packages: StackPackage[]): string {
  return sortPackages(packages)
    .map((p) => `${p.name}\t${p.version}\t${p.arch}\n`)
    .join('');
}

export function packagesDigest(packages: StackPackage[]): Digest {
  return sha256Digest(Buffer.from(packageListText(packages)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
