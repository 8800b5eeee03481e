import { readdir, readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * Each container's cgroup is `dropship/<id>/init`: the runtime creates and removes the leaf, the
 * per-container parent stays until dropship removes it and keeps the hierarchical peak usage.
 */
export function cgroupsPathFor(id: string): string {
  return `/dropship/${id}/init`;
}

const memoryDir = (id: string) => join(CGROUP_ROOT, 'memory', 'dropship', id);

/** The v1 oom_kill counter of the container's own cgroup (needs the leaf, so `runc run --keep`). */
export async function oomKillCount(id: string): Promise<number> {
  const text = await readFile(join(memoryDir(id), 'init', 'memory.oom_control'), 'utf8').catch(() => '');
  const match = /^oom_kill (\d+)$/m.exec(text);
  return match ? Number(match[1]) : 0;
}

/**
 * Peak memory+swap of the container, read from the parent cgroup. cgroup v1 counts OOM kills
 * per cgroup only (not up the hierarchy), so once a runtime without `--keep` (crun) has removed
 * the leaf, a SIGKILL with the peak at the limit is the remaining evidence of an OOM kill.
 */
export async function peakMemoryBytes(id: string): Promise<number> {
  for (const file of ['memory.memsw.max_usage_in_bytes', 'memory.max_usage_in_bytes']) {
    const text = await readFile(join(memoryDir(id), file), 'utf8').catch(() => '');
    if (text) return Number(text.trim());
  }
  return 0;
}

/** The v1 hierarchies (cpu, memory, … and the hybrid `unified`), or the v2 root itself. */
async function hierarchies(): Promise<string[]> {
  const entries = await readdir(CGROUP_ROOT, { withFileTypes: true }).catch(() => []);
  if (entries.some((e) => e.name === 'cgroup.controllers')) return [CGROUP_ROOT];
  return entries.filter((e) => e.isDirectory()).map((e) => join(CGROUP_ROOT, e.name));
}

/** Remove the container's cgroup directories in every hierarchy (leaf first); missing ones are fine. */
export async function removeCgroups(id: string): Promise<void> {
  const roots = await hierarchies();
  await Promise.all(
    roots.map(async (root) => {
      const parent = join(root, 'dropship', id);
      await rmdir(join(parent, 'init')).catch(() => undefined);
      await rmdir(parent).catch(() => undefined);
    }),
  );
}

/** Which hierarchies still hold a cgroup for the container (for leak checks). */
export async function leftoverCgroups(id: string): Promise<string[]> {
  const roots = await hierarchies();
  const found = await Promise.all(
    roots.map(async (root) => {
      const dir = join(root, 'dropship', id);
      return (await readdir(dir).then(() => true, () => false)) ? dir : undefined;
    }),
  );
  return found.filter((d): d is string => d !== undefined);
}
