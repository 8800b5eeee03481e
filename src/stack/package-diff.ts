import type { StackPackage } from './packages.js';

export interface PackageChange {
  name: string;
  arch: string;
  from: string;
  to: string;
}

export interface PackageDiff {
  changed: PackageChange[];
  added: StackPackage[];
  removed: StackPackage[];
}

/**
 * What changed between two builds' package lists. A package is the same package when its name
 * matches; only a name that appears under several architectures (multi-arch) is told apart by
 * arch too — so a package that moved from amd64 to all shows as a version change, not a
 * removal and an addition.
 */
export function diffPackages(before: StackPackage[], after: StackPackage[]): PackageDiff {
  const keyed = (list: StackPackage[]) => {
    const count = new Map<string, number>();
    for (const p of list) count.set(p.name, (count.get(p.name) ?? 0) + 1);
    return new Map(list.map((p) => [(count.get(p.name) ?? 0) > 1 ? `${p.name}:${p.arch}` : p.name, p]));
  };
  const old = keyed(before);
  const now = keyed(after);
  const diff: PackageDiff = { changed: [], added: [], removed: [] };
  for (const [key, p] of now) {
    const was = old.get(key);
    if (!was) diff.added.push(p);
    else if (was.version !== p.version || was.arch !== p.arch) diff.changed.push({ name: p.name, arch: p.arch, from: was.version, to: p.version });
  }
  for (const [key, p] of old) if (!now.has(key)) diff.removed.push(p);
  const byName = (a: { name: string; arch: string }, b: { name: string; arch: string }) => (a.name === b.name ? (a.arch < b.arch ? -1 : 1) : a.name < b.name ? -1 : 1);
  diff.changed.sort(byName);
  diff.added.sort(byName);
  diff.removed.sort(byName);
  return diff;
}

export function isEmptyDiff(diff: PackageDiff): boolean {
  return diff.changed.length === 0 && diff.added.length === 0 && diff.removed.length === 0;
}

/** One line per package: `openssl 3.0.15 → 3.0.17`, `+ curl 7.88.1`, `- wget 1.21`. */
export function formatPackageDiff(diff: PackageDiff): string[] {
  return [
    ...diff.changed.map((c) => `${c.name} ${c.from} → ${c.to}`),
    ...diff.added.map((p) => `+ ${p.name} ${p.version}`),
    ...diff.removed.map((p) => `- ${p.name} ${p.version}`),
  ];
}
