import { execa } from 'execa';
import { readFile } from 'node:fs/promises';

/** First line of a command's version output, or undefined when the command is not there. */
export async function commandVersion(command: string, args: string[] = ['--version']): Promise<string | undefined> {
  try {
    const result = await execa(command, args, { reject: false, timeout: 5000, all: true });
    if (result.exitCode !== 0 && !result.all) return undefined;
    if ((result as { failed?: boolean; code?: string }).code === 'ENOENT') return undefined;
    return result.all?.split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

export interface CgroupInfo {
  mode: 'v1' | 'hybrid' | 'v2' | 'none';
  controllers: string[];
}

/** Reads the mount table (/proc/self/mounts) rather than guessing from paths: hybrid hosts mount both. */
export async function cgroupInfo(): Promise<CgroupInfo> {
  const mounts = (await readText('/proc/self/mounts')) ?? '';
  const lines = mounts.split('\n').map((l) => l.split(' '));
  const v1 = lines.filter((f) => f[2] === 'cgroup');
  const v2 = lines.find((f) => f[2] === 'cgroup2');
  const controllers = new Set<string>();
  for (const f of v1) for (const opt of (f[3] ?? '').split(',')) if (/^[a-z_]+$/.test(opt) && !['rw', 'ro', 'relatime', 'nosuid', 'nodev', 'noexec'].includes(opt)) controllers.add(opt);
  if (v2) {
    const list = (await readText(`${v2[1]}/cgroup.controllers`)) ?? '';
    if (v1.length === 0) for (const c of list.split(/\s+/).filter(Boolean)) controllers.add(c);
  }
  const mode = v1.length && v2 ? 'hybrid' : v1.length ? 'v1' : v2 ? 'v2' : 'none';
  return { mode, controllers: [...controllers].sort() };
}
