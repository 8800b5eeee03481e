import { readFile } from 'node:fs/promises';
import { quotaDiskUsedBytes } from '../container/index.js';

/** What an instance uses now, as `ps` and `app` show it; a field is absent when it cannot be read. */
export interface InstanceUsage {
  /** memory.usage_in_bytes of its memory cgroup. */
  memoryBytes?: number;
  /** cpuacct.usage of its cpuacct cgroup: CPU time of all its processes, in nanoseconds. */
  cpuNanos?: number;
  /** Bytes in use on its quota disk (the writable layer). */
  diskUsedBytes?: number;
}

/** One number from a v1 cgroup file of the cgroup `pid` is in for `controller`. */
async function cgroupNumber(pid: number, controller: string, file: string): Promise<number | undefined> {
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  // `4:memory:/path`, or `2:cpu,cpuacct:/path` where controllers share a hierarchy (mounted under each name).
  const line = text.split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
  if (!line) return undefined;
  const path = line.split(':').slice(2).join(':');
  const value = await readFile(`/sys/fs/cgroup/${controller}${path}/${file}`, 'utf8').catch(() => undefined);
  const n = value === undefined ? NaN : Number(value.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** Memory and CPU from the cgroups of the container's init, disk from the quota disk in its bundle. */
export async function instanceUsage(pid: number, bundle: string): Promise<InstanceUsage> {
  const [memoryBytes, cpuNanos, diskUsedBytes] = await Promise.all([
    cgroupNumber(pid, 'memory', 'memory.usage_in_bytes'),
    cgroupNumber(pid, 'cpuacct', 'cpuacct.usage'),
    quotaDiskUsedBytes(bundle).catch(() => undefined),
  ]);
  return {
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
    ...(cpuNanos === undefined ? {} : { cpuNanos }),
    ...(diskUsedBytes === undefined ? {} : { diskUsedBytes }),
  };
}
