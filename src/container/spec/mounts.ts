import type { OciMount, OciSpec } from './oci.js';
import type { SpecOptions } from './options.js';

/** The kernel filesystems every container sees; /sys and the cgroup tree are read-only. */
export const SYSTEM_MOUNTS: readonly OciMount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  {
    destination: '/dev/pts',
    type: 'devpts',
    source: 'devpts',
    options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
  },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
];

export function mountsRule(spec: OciSpec, options: SpecOptions): OciSpec {
  const binds = options.mounts.map(
    (m): OciMount => ({
      destination: m.destination,
      type: 'bind',
      source: m.source,
      options: ['rbind', 'nosuid', 'nodev', m.readonly ? 'ro' : 'rw'],
    }),
  );
  return { ...spec, mounts: [...SYSTEM_MOUNTS.map((m) => ({ ...m, options: [...(m.options ?? [])] })), ...binds] };
}
