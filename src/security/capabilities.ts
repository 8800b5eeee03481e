/**
 * The capabilities Garden-runC leaves to container root (DESIGN.md, "Running"). Everything
 * else, CAP_SYS_ADMIN above all, is dropped from the bounding set, so even a process that
 * becomes root inside the container can never regain it.
 */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
] as const;

export type CapabilityName = (typeof DEFAULT_CAPABILITIES)[number];

/** Bit numbers from linux/capability.h, to compare with CapBnd/CapEff in /proc/<pid>/status. */
export const CAPABILITY_BITS: Record<CapabilityName, number> = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_RAW: 13,
  CAP_SYS_CHROOT: 18,
  CAP_MKNOD: 27,
  CAP_AUDIT_WRITE: 29,
  CAP_SETFCAP: 31,
};

/** The bitmask the kernel shows for a set of capabilities (e.g. `CapBnd: 00000000a80425fb`). */
export function capabilityMask(caps: readonly CapabilityName[] = DEFAULT_CAPABILITIES): bigint {
  return caps.reduce((mask, cap) => mask | (1n << BigInt(CAPABILITY_BITS[cap])), 0n);
}
