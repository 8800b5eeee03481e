import type { OciSpec } from './oci.js';
import type { SpecOptions } from './options.js';

const MIB = 1024 * 1024;

/** Garden's cpu weight: proportional to memory between 128 MiB and 8 GiB. */
export function cpuSharesForMemory(memoryBytes: number | undefined): number {
  if (memoryBytes === undefined) return 1024;
  const mib = Math.min(Math.max(memoryBytes / MIB, 128), 8192);
  const weight = (100 * mib) / 8192;
  return Math.max(2, Math.round((1024 * weight) / 100));
}

/**
 * cgroup limits and the open-file limit. Swap equals the memory limit: in the runtime spec
 * `swap` is memory+swap, so the container gets no swap at all and a hog is OOM-killed instead of
 * thrashing the host.
 */
export function limitsRule(spec: OciSpec, options: SpecOptions): OciSpec {
  const { memoryBytes, cpuShares, pids, nofile } = options.limits;
  return {
    ...spec,
    process: { ...spec.process, rlimits: [{ type: 'RLIMIT_NOFILE', hard: nofile, soft: nofile }] },
    linux: {
      ...spec.linux,
      resources: {
        devices: [{ allow: false, access: 'rwm' }],
        ...(memoryBytes === undefined ? {} : { memory: { limit: memoryBytes, swap: memoryBytes } }),
        cpu: { shares: cpuShares },
        pids: { limit: pids },
      },
    },
  };
}
