import { access, constants } from 'node:fs/promises';
import { cgroupInfo, commandVersion, readText } from './probe.js';
import { crunStdioCheck, initCheck, storeModesCheck } from './hardening.js';

export type CheckStatus = 'ok' | 'missing' | 'degraded';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** Whether dropship cannot work at all without it. */
  required: boolean;
  /** One-line fix, given when the status is not ok. */
  fix?: string;
}

type Check = () => Promise<CheckResult>;

const tool = (name: string, command: string, pkg: string, required: boolean, purpose: string, args = ['--version']): Check => async () => {
  const version = await commandVersion(command, args);
  return version
    ? { name, status: 'ok', detail: version, required }
    : { name, status: required ? 'missing' : 'degraded', detail: `${command} not found (${purpose})`, required, fix: `apt-get install ${pkg}` };
};

const root: Check = async () => {
  const uid = process.getuid?.() ?? -1;
  return uid === 0
    ? { name: 'root', status: 'ok', detail: 'running as root', required: true }
    : { name: 'root', status: 'missing', detail: `running as uid ${uid}; runc, mounts and iptables need root`, required: true, fix: 'run dropship as root (sudo)' };
};

const cgroups: Check = async () => {
  const info = await cgroupInfo();
  const needed = ['memory', 'pids', 'cpu'];
  const absent = needed.filter((c) => !info.controllers.includes(c));
  const detail = `${info.mode}: ${info.controllers.join(', ') || 'no controllers'}`;
  if (info.mode === 'none' || absent.length) {
    return { name: 'cgroups', status: 'missing', detail: `${detail}; missing ${absent.join(', ')}`, required: true, fix: 'boot with the memory, pids and cpu cgroup controllers enabled' };
  }
  return { name: 'cgroups', status: 'ok', detail, required: true };
};

const userNamespaces: Check = async () => {
  const max = Number((await readText('/proc/sys/user/max_user_namespaces'))?.trim() ?? '0');
  return max > 0
    ? { name: 'user namespaces', status: 'ok', detail: `max_user_namespaces=${max}`, required: true }
    : { name: 'user namespaces', status: 'missing', detail: 'user namespaces are disabled', required: true, fix: 'sysctl -w user.max_user_namespaces=15000' };
};

const seccomp: Check = async () => {
  const status = (await readText('/proc/self/status')) ?? '';
  const actions = (await readText('/proc/sys/kernel/seccomp/actions_avail'))?.trim();
  return /^Seccomp:/m.test(status) && actions?.includes('errno')
    ? { name: 'seccomp', status: 'ok', detail: `filter actions: ${actions}`, required: true }
    : { name: 'seccomp', status: 'missing', detail: 'kernel without seccomp filters', required: true, fix: 'use a kernel built with CONFIG_SECCOMP_FILTER' };
};

const apparmor: Check = async () => {
  const { apparmorUnavailableReason, checkProfile } = await import('../security/apparmor.js');
  const parser = await commandVersion('apparmor_parser', ['--version']);
  // The profile is compiled without loading, so a profile the parser rejects shows here, not at the first container.
  const checked = parser ? await checkProfile().then(() => 'profile compiles', (error: Error) => `profile does not compile: ${error.message}`) : undefined;
  const reason = await apparmorUnavailableReason();
  if (!reason && parser) {
    return checked === 'profile compiles'
      ? { name: 'apparmor', status: 'ok', detail: `enforced; ${parser}`, required: false }
      : { name: 'apparmor', status: 'degraded', detail: checked!, required: false, fix: 'report this: the generated profile must compile' };
  }
  if (!reason) return { name: 'apparmor', status: 'degraded', detail: 'kernel has AppArmor but apparmor_parser is missing; profile not loaded', required: false, fix: 'apt-get install apparmor' };
  return {
    name: 'apparmor',
    status: 'degraded',
    detail: `not enforced: ${reason}${checked ? `; ${checked}` : ''}`,
    required: false,
    fix: parser ? 'boot a kernel with AppArmor (security=apparmor) to enforce the profile' : 'apt-get install apparmor (to check the profile); boot a kernel with AppArmor to enforce it',
  };
};

const overlay: Check = async () => {
  const filesystems = (await readText('/proc/filesystems')) ?? '';
  return /\toverlay$/m.test(filesystems)
    ? { name: 'overlayfs', status: 'ok', detail: 'overlay in /proc/filesystems', required: true }
    : { name: 'overlayfs', status: 'missing', detail: 'overlay filesystem not available', required: true, fix: 'modprobe overlay' };
};

const iptables: Check = async () => {
  const version = await commandVersion('iptables');
  if (!version) return { name: 'iptables', status: 'missing', detail: 'iptables not found (outbound blocking, port mapping)', required: true, fix: 'apt-get install iptables' };
  const backend = /\((nf_tables|legacy)\)/.exec(version)?.[1] ?? 'unknown backend';
  return { name: 'iptables', status: 'ok', detail: `${version} — ${backend}`, required: true };
};

const ipForward: Check = async () => {
  const value = (await readText('/proc/sys/net/ipv4/ip_forward'))?.trim();
  return value === '1'
    ? { name: 'ip_forward', status: 'ok', detail: 'net.ipv4.ip_forward=1', required: false }
    : { name: 'ip_forward', status: 'degraded', detail: 'net.ipv4.ip_forward=0; dropship turns it on when a container needs outbound access', required: false, fix: 'sysctl -w net.ipv4.ip_forward=1 (or let dropship do it)' };
};

const debootstrapCheck: Check = async () => {
  try {
    await access('/usr/sbin/debootstrap', constants.X_OK);
    return { name: 'debootstrap', status: 'ok', detail: '/usr/sbin/debootstrap (bookworm stack)', required: false };
  } catch {
    return { name: 'debootstrap', status: 'degraded', detail: 'not found: the bookworm stack cannot be built', required: false, fix: 'apt-get install debootstrap' };
  }
};

export const checks: Check[] = [
  root,
  tool('runc', 'runc', 'runc', true, 'the container runtime'),
  tool('crun', 'crun', 'crun', false, 'the optional faster runtime'),
  crunStdioCheck,
  initCheck,
  cgroups,
  userNamespaces,
  seccomp,
  apparmor,
  overlay,
  iptables,
  ipForward,
  tool('ip', 'ip', 'iproute2', true, 'veth and bridge setup', ['-V']),
  tool('nsenter', 'nsenter', 'util-linux', true, 'configuring a container network namespace'),
  debootstrapCheck,
  storeModesCheck,
];
