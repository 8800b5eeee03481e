import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ALLOWED_SYSCALLS, DENIED_SYSCALLS, allowedSyscalls } from '../../../src/security/seccomp/syscalls.js';
import { ALLOWED_PERSONALITIES, ALLOWED_SOCKET_FAMILIES, CLONE_NAMESPACE_FLAGS, defaultSeccompProfile } from '../../../src/security/seccomp/profile.js';

const allowed = allowedSyscalls();

test('the allowlist has no duplicates', () => {
  const seen = new Set<string>();
  const duplicates = allowed.filter((name) => (seen.has(name) ? true : (seen.add(name), false)));
  assert.equal(duplicates, []);
});

test('no denied call is in the allowlist', () => {
  assert.equal(allowed.filter((name) => name in DENIED_SYSCALLS), []);
  for (const name of ['mount', 'umount2', 'unshare', 'setns', 'pivot_root', 'keyctl', 'add_key', 'request_key', 'bpf', 'userfaultfd', 'perf_event_open', 'kexec_load', 'init_module', 'finit_module', 'delete_module', 'reboot', 'swapon', 'swapoff', 'acct', 'io_uring_setup', 'io_uring_enter', 'clone', 'clone3', 'personality']) {
    assert.not.ok(allowed.includes(name), `${name} must not be allowed unconditionally`);
  }
});

test('calls of current glibc and kernels are allowed', () => {
  for (const name of ['statx', 'openat2', 'pwritev2', 'preadv2', 'faccessat2', 'close_range', 'rseq', 'epoll_pwait2', 'copy_file_range', 'getrandom', 'membarrier', 'newfstatat', 'futex_waitv', 'pidfd_open']) {
    assert.ok(allowed.includes(name), `${name} must be allowed`);
  }
});

test('names are lower-case syscall names without 32-bit variants', () => {
  for (const name of allowed) assert.match(name, /^[a-z_][a-z0-9_]*$/);
  assert.equal(allowed.filter((n) => /(32|_time64)$/.test(n)), []);
  assert.ok(Object.keys(ALLOWED_SYSCALLS).length > 5);
});

test('the profile refuses by default with EPERM', () => {
  const profile = defaultSeccompProfile();
  assert.is(profile.defaultAction, 'SCMP_ACT_ERRNO');
  assert.is(profile.defaultErrnoRet, 1);
  assert.ok(profile.architectures.includes('SCMP_ARCH_X86_64'));
});

test('clone is allowed only without namespace flags (masked-eq on argument 0)', () => {
  const rules = defaultSeccompProfile().syscalls.filter((r) => r.names.includes('clone'));
  assert.is(rules.length, 1);
  assert.is(rules[0]!.action, 'SCMP_ACT_ALLOW');
  assert.equal(rules[0]!.args, [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
  assert.is(CLONE_NAMESPACE_FLAGS, 0x10000000 | 0x20000000 | 0x40000000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x00020000);
});

test('clone3 answers ENOSYS so that libc falls back to clone', () => {
  const rules = defaultSeccompProfile().syscalls.filter((r) => r.names.includes('clone3'));
  assert.equal(rules, [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, comment: 'libc falls back to clone' }]);
});

test('personality is allowed only for 0, 8, 0x20008 and 0xffffffff', () => {
  const rules = defaultSeccompProfile().syscalls.filter((r) => r.names.includes('personality'));
  assert.equal(rules.map((r) => r.args?.[0]?.value), [0, 8, 0x20008, 0xffffffff]);
  assert.ok(rules.every((r) => r.action === 'SCMP_ACT_ALLOW' && r.args?.[0]?.op === 'SCMP_CMP_EQ' && r.names.length === 1));
  assert.equal([...ALLOWED_PERSONALITIES], [0, 8, 0x20008, 0xffffffff]);
});

test('socket and socketpair are allowed only for AF_UNIX, AF_INET, AF_INET6, AF_NETLINK and AF_PACKET', () => {
  for (const name of ['socket', 'socketpair', 'socketcall']) {
    assert.not.ok(allowed.includes(name), `${name} must not be allowed unconditionally`);
    assert.ok(name in DENIED_SYSCALLS, `${name}: the reason is written down`);
  }
  assert.equal(ALLOWED_SOCKET_FAMILIES, { AF_UNIX: 1, AF_INET: 2, AF_INET6: 10, AF_NETLINK: 16, AF_PACKET: 17 });
  const rules = defaultSeccompProfile().syscalls.filter((r) => r.names.includes('socket') || r.names.includes('socketpair'));
  assert.ok(rules.every((r) => r.action === 'SCMP_ACT_ALLOW' && r.names.join() === 'socket,socketpair'), 'one family list for both calls');
  assert.equal(rules.map((r) => r.args), [1, 2, 10, 16, 17].map((value) => [{ index: 0, value, op: 'SCMP_CMP_EQ' }]));
  const families = rules.map((r) => r.args![0]!.value);
  for (const [name, refused] of Object.entries({ AF_VSOCK: 40, AF_ALG: 38, AF_BLUETOOTH: 31, AF_RDS: 21, AF_TIPC: 30, AF_CAN: 29, AF_KEY: 15, AF_XDP: 44 })) {
    assert.not.ok(families.includes(refused), `${name} is refused`);
  }
});

test('only the allowlist rule carries unfiltered names', () => {
  const unfiltered = defaultSeccompProfile().syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args);
  assert.is(unfiltered.length, 1);
  assert.equal(unfiltered[0]!.names, allowed);
});

test.run();
