import { allowedSyscalls } from './syscalls.js';

/** The OCI runtime-spec `linux.seccomp` object (the subset dropship writes). */
export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: 'SCMP_CMP_EQ' | 'SCMP_CMP_MASKED_EQ' | 'SCMP_CMP_NE';
}

export interface SeccompRule {
  names: string[];
  action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  errnoRet?: number;
  args?: SeccompArg[];
  comment?: string;
}

export interface SeccompProfile {
  defaultAction: 'SCMP_ACT_ERRNO';
  defaultErrnoRet: number;
  architectures: string[];
  syscalls: SeccompRule[];
}

const EPERM = 1;
const ENOSYS = 38;

/** CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET. */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;

/** PER_LINUX, PER_LINUX32, PER_LINUX32|UNAME26 and the query value 0xffffffff. */
export const ALLOWED_PERSONALITIES = [0x0, 0x8, 0x20008, 0xffffffff] as const;

/**
 * The address families socket() and socketpair() may use: an allowlist, not Docker's denylist
 * (its default profile refuses AF_VSOCK only). A denylist leaves every family a kernel adds or a
 * module autoloads open — AF_VSOCK reaches the hypervisor, AF_ALG, AF_BLUETOOTH, AF_RDS, AF_TIPC
 * and AF_CAN have each held kernel privilege escalations — while apps need only these: local
 * sockets, IPv4, IPv6, netlink (ip, glibc's getaddrinfo with AI_ADDRCONFIG) and packet sockets
 * (NET_RAW tools). socketpair gets the same list, so that no family is reachable through it.
 */
export const ALLOWED_SOCKET_FAMILIES = { AF_UNIX: 1, AF_INET: 2, AF_INET6: 10, AF_NETLINK: 16, AF_PACKET: 17 } as const;

/**
 * The default seccomp profile: EPERM for anything not listed. clone is filtered on its flags
 * (x86_64 passes them in argument 0); clone3 passes flags in a struct seccomp cannot read, so it
 * answers ENOSYS and glibc falls back to clone.
 */
export function defaultSeccompProfile(): SeccompProfile {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: allowedSyscalls(), action: 'SCMP_ACT_ALLOW' },
      {
        names: ['clone'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
        comment: 'clone without namespace flags',
      },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, comment: 'libc falls back to clone' },
      ...Object.entries(ALLOWED_SOCKET_FAMILIES).map(
        ([family, value]): SeccompRule => ({
          names: ['socket', 'socketpair'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }],
          comment: family,
        }),
      ),
      ...ALLOWED_PERSONALITIES.map(
        (value): SeccompRule => ({
          names: ['personality'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }],
        }),
      ),
    ],
  };
}
