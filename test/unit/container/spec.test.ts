import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSpec, cpuSharesForMemory, OCI_VERSION, type OciSpec, type SpecOptions } from '../../../src/container/spec/index.js';
import { baseRule } from '../../../src/container/spec/process.js';
import { namespacesRule } from '../../../src/container/spec/namespaces.js';
import { idMapsRule } from '../../../src/container/spec/idmaps.js';
import { capabilitiesRule } from '../../../src/container/spec/capabilities.js';
import { seccompRule } from '../../../src/container/spec/seccomp.js';
import { pathsRule } from '../../../src/container/spec/paths.js';
import { mountsRule } from '../../../src/container/spec/mounts.js';
import { limitsRule } from '../../../src/container/spec/limits.js';
import { noNewPrivilegesRule } from '../../../src/container/spec/privileges.js';
import { hostnameRule } from '../../../src/container/spec/hostname.js';
import { apparmorRule } from '../../../src/container/spec/apparmor.js';
import { DEFAULT_CAPABILITIES } from '../../../src/security/capabilities.js';
import { defaultIdMap } from '../../../src/security/idmap.js';

const MIB = 1024 * 1024;

function options(overrides: Partial<SpecOptions> = {}): SpecOptions {
  return {
    args: ['/bin/sh', '-c', 'true'],
    env: { PATH: '/bin', HOME: '/home/vcap' },
    cwd: '/home/vcap',
    user: { uid: 2000, gid: 2000, additionalGids: [] },
    hostname: 'task-1',
    rootfs: '/var/lib/dropship/containers/dropship-1/rootfs',
    mounts: [],
    limits: { memoryBytes: 64 * MIB, cpuShares: 16, pids: 1024, nofile: 16384 },
    idMap: defaultIdMap({}),
    cgroupsPath: '/dropship/dropship-1/init',
    annotations: { 'io.dropship.managed': 'true' },
    ...overrides,
  };
}

const base = (o = options()): OciSpec => baseRule({} as OciSpec, o);

test('base: the process and root the runtime needs', () => {
  const spec = base();
  assert.is(spec.ociVersion, OCI_VERSION);
  assert.is(spec.ociVersion, '1.0.2-dev');
  assert.equal(spec.process.args, ['/bin/sh', '-c', 'true']);
  assert.equal(spec.process.env, ['PATH=/bin', 'HOME=/home/vcap']);
  assert.is(spec.process.terminal, false);
  assert.equal(spec.process.user, { uid: 2000, gid: 2000, additionalGids: [] });
  assert.equal(spec.root, { path: '/var/lib/dropship/containers/dropship-1/rootfs', readonly: false });
  assert.is(spec.linux.cgroupsPath, '/dropship/dropship-1/init');
  assert.equal(spec.annotations, { 'io.dropship.managed': 'true' });
});

test('namespaces: pid, ipc, uts, mount, network, user, cgroup', () => {
  const spec = namespacesRule(base(), options());
  assert.equal(spec.linux.namespaces, ['pid', 'ipc', 'uts', 'mount', 'network', 'user', 'cgroup'].map((type) => ({ type })));
  assert.ok(spec.linux.namespaces.every((n) => n.path === undefined), 'runc creates every namespace itself');
});

test('id maps: container root is host 1000000', () => {
  const spec = idMapsRule(base(), options());
  assert.equal(spec.linux.uidMappings, [{ containerID: 0, hostID: 1_000_000, size: 65536 }]);
  assert.equal(spec.linux.gidMappings, [{ containerID: 0, hostID: 1_000_000, size: 65536 }]);
  const moved = idMapsRule(base(), options({ idMap: defaultIdMap({ DROPSHIP_ID_BASE: '2000000' }) }));
  assert.is(moved.linux.uidMappings?.[0]?.hostID, 2_000_000);
});

test('capabilities: root gets the 14, vcap none but the same bounding set', () => {
  const root = capabilitiesRule(base(), options({ user: { uid: 0, gid: 0, additionalGids: [] } })).process.capabilities!;
  assert.equal(root.bounding, [...DEFAULT_CAPABILITIES]);
  assert.equal(root.permitted, [...DEFAULT_CAPABILITIES]);
  assert.equal(root.effective, [...DEFAULT_CAPABILITIES]);
  assert.equal(root.inheritable, []);
  assert.equal(root.ambient, []);
  const vcap = capabilitiesRule(base(), options()).process.capabilities!;
  assert.equal(vcap.bounding, [...DEFAULT_CAPABILITIES]);
  assert.equal([vcap.effective, vcap.permitted, vcap.inheritable, vcap.ambient], [[], [], [], []]);
});

test('seccomp: the default profile', () => {
  const spec = seccompRule(base(), options());
  assert.is(spec.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
  assert.ok(spec.linux.seccomp!.syscalls.some((r) => r.names.includes('statx')));
});

test('paths: masked and read-only', () => {
  const spec = pathsRule(base(), options());
  assert.ok(spec.linux.maskedPaths!.includes('/proc/kcore'));
  assert.ok(spec.linux.maskedPaths!.includes('/proc/keys'));
  assert.ok(spec.linux.readonlyPaths!.includes('/proc/sys'));
});

test('mounts: kernel filesystems, /sys and cgroups read-only, devpts with newinstance, binds last', () => {
  const spec = mountsRule(base(), options({ mounts: [{ source: '/srv/app', destination: '/home/vcap/app', readonly: true }, { source: '/srv/cache', destination: '/tmp/cache' }] }));
  const byDest = new Map(spec.mounts.map((m) => [m.destination, m]));
  assert.equal(spec.mounts.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup', '/home/vcap/app', '/tmp/cache']);
  assert.is(byDest.get('/proc')!.type, 'proc');
  assert.ok(byDest.get('/sys')!.options!.includes('ro'));
  assert.ok(byDest.get('/sys/fs/cgroup')!.options!.includes('ro'));
  assert.ok(byDest.get('/dev/pts')!.options!.includes('newinstance'));
  assert.is(byDest.get('/dev/mqueue')!.type, 'mqueue');
  assert.is(byDest.get('/dev/shm')!.type, 'tmpfs');
  assert.equal(byDest.get('/home/vcap/app'), { destination: '/home/vcap/app', type: 'bind', source: '/srv/app', options: ['rbind', 'nosuid', 'nodev', 'ro'] });
  assert.equal(byDest.get('/tmp/cache')!.options, ['rbind', 'nosuid', 'nodev', 'rw']);
});

test('limits: memory with swap equal, cpu shares, pids, nofile', () => {
  const spec = limitsRule(base(), options());
  assert.equal(spec.linux.resources!.memory, { limit: 64 * MIB, swap: 64 * MIB });
  assert.equal(spec.linux.resources!.cpu, { shares: 16 });
  assert.equal(spec.linux.resources!.pids, { limit: 1024 });
  assert.equal(spec.linux.resources!.devices, [{ allow: false, access: 'rwm' }]);
  assert.equal(spec.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 16384, soft: 16384 }]);
  const unlimited = limitsRule(base(), options({ limits: { cpuShares: 1024, pids: 10, nofile: 1024 } }));
  assert.is(unlimited.linux.resources!.memory, undefined);
});

test('cpu shares follow memory: 1024 × weight/100, weight = 100 × clamp(MiB, 128, 8192)/8192', () => {
  assert.is(cpuSharesForMemory(8192 * MIB), 1024);
  assert.is(cpuSharesForMemory(16384 * MIB), 1024);
  assert.is(cpuSharesForMemory(1024 * MIB), 128);
  assert.is(cpuSharesForMemory(128 * MIB), 16);
  assert.is(cpuSharesForMemory(64 * MIB), 16);
  assert.is(cpuSharesForMemory(undefined), 1024);
});

test('no_new_privileges and hostname', () => {
  assert.is(noNewPrivilegesRule(base(), options()).process.noNewPrivileges, true);
  assert.is(hostnameRule(base(), options()).hostname, 'task-1');
});

test('apparmor: named only when loaded', () => {
  assert.is(apparmorRule(base(), options()).process.apparmorProfile, undefined);
  assert.is(apparmorRule(base(), options({ apparmorProfile: 'dropship-default' })).process.apparmorProfile, 'dropship-default');
});

test('rules do not change their input', () => {
  const before = base();
  const copy = JSON.parse(JSON.stringify(before));
  for (const rule of [namespacesRule, idMapsRule, capabilitiesRule, seccompRule, pathsRule, mountsRule, limitsRule, noNewPrivilegesRule, hostnameRule]) rule(before, options());
  assert.equal(before, copy);
});

test('buildSpec composes every rule', () => {
  const spec = buildSpec(options());
  assert.is(spec.linux.namespaces.length, 7);
  assert.ok(spec.linux.uidMappings && spec.linux.seccomp && spec.linux.maskedPaths && spec.linux.resources);
  assert.is(spec.process.noNewPrivileges, true);
  assert.is(spec.process.capabilities!.bounding.length, 14);
  assert.is(spec.hostname, 'task-1');
  assert.is(spec.mounts.length, 7);
  assert.is(spec.process.apparmorProfile, undefined);
});

test.run();
