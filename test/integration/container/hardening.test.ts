import '../../helpers/env.js';
import { readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createContainer, containerLeftovers, type Container, type ContainerOptions } from '../../../src/container/index.js';
import { capabilityMask } from '../../../src/security/capabilities.js';
import { SYSCALL, writeProbes } from './syscall-probe.js';
import { tinyLowerDirs } from './tiny.js';

const BND = capabilityMask().toString(16).padStart(16, '0');
const EPERM = 1;
const ENOSYS = 38;
const EFAULT = 14;

let probes = '';

async function withContainer(options: Partial<ContainerOptions>, fn: (c: Container) => Promise<void>): Promise<void> {
  const container = await createContainer({
    lowerDirs: await tinyLowerDirs(),
    args: ['/bin/sleep', '60'],
    mounts: [{ source: probes, destination: '/probe', readonly: true }],
    ...options,
  });
  try {
    await fn(container);
  } finally {
    await container.destroy();
    assert.equal(await containerLeftovers(container.id), [], 'nothing left behind');
  }
}

async function run(container: Container, script: string, user: 'vcap' | 'root' = 'vcap'): Promise<{ code: number; out: string }> {
  let out = '';
  const append = (chunk: Buffer) => (out += chunk.toString());
  const exit = await container.exec(['/bin/sh', '-c', script], { user, onStdout: append, onStderr: append });
  return { code: exit.exitCode, out };
}

function statusField(status: string, field: string): string {
  return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
}

test.before(async () => {
  probes = await writeProbes({
    keyctl: { nr: SYSCALL.keyctl },
    add_key: { nr: SYSCALL.add_key },
    bpf: { nr: SYSCALL.bpf },
    mount: { nr: SYSCALL.mount },
    unshare_user: { nr: SYSCALL.unshare, args: [0x10000000] },
    clone3: { nr: SYSCALL.clone3 },
    getpid: { nr: SYSCALL.getpid },
    personality_ok: { nr: SYSCALL.personality, args: [0xffffffff] },
    personality_bad: { nr: SYSCALL.personality, args: [0x0400000] },
    // socket(family, type, 0): AF_VSOCK stream, AF_ALG seqpacket, AF_BLUETOOTH raw (HCI), AF_INET, AF_UNIX.
    socket_vsock: { nr: SYSCALL.socket, args: [40, 1] },
    socket_alg: { nr: SYSCALL.socket, args: [38, 5] },
    socket_bluetooth: { nr: SYSCALL.socket, args: [31, 3, 1] },
    socket_inet: { nr: SYSCALL.socket, args: [2, 1] },
    socket_unix: { nr: SYSCALL.socket, args: [1, 1] },
    // socketpair(family, SOCK_STREAM, 0, NULL): past the filter the kernel answers EFAULT.
    socketpair_vsock: { nr: SYSCALL.socketpair, args: [40, 1] },
    socketpair_unix: { nr: SYSCALL.socketpair, args: [1, 1] },
  });
});

test.after(async () => {
  await rm(probes, { recursive: true, force: true });
});

test('container root is an unprivileged host id', async () => {
  await withContainer({ user: 'root' }, async (c) => {
    const map = await run(c, 'id -u; cat /proc/self/uid_map /proc/self/gid_map', 'root');
    assert.equal(map.out.trim().split('\n').map((l) => l.trim().split(/\s+/)), [['0'], ['0', '1000000', '65536'], ['0', '1000000', '65536']]);
    const hostStatus = await readFile(`/proc/${await c.pid()}/status`, 'utf8');
    assert.equal(statusField(hostStatus, 'Uid').split(/\s+/), ['1000000', '1000000', '1000000', '1000000']);
    assert.equal(statusField(hostStatus, 'Gid').split(/\s+/), ['1000000', '1000000', '1000000', '1000000']);
  });
  await withContainer({ user: 'vcap' }, async (c) => {
    const hostStatus = await readFile(`/proc/${await c.pid()}/status`, 'utf8');
    assert.equal(statusField(hostStatus, 'Uid').split(/\s+/), ['1002000', '1002000', '1002000', '1002000']);
  });
});

test('vcap: no effective capabilities, the 14 as bounding set, no_new_privs, seccomp filter', async () => {
  await withContainer({ user: 'vcap' }, async (c) => {
    const { out } = await run(c, 'cat /proc/self/status');
    assert.is(statusField(out, 'CapEff'), '0000000000000000');
    assert.is(statusField(out, 'CapPrm'), '0000000000000000');
    assert.is(statusField(out, 'CapBnd'), BND);
    assert.is(BND, '00000000a80425fb');
    assert.is(statusField(out, 'NoNewPrivs'), '1');
    assert.is(statusField(out, 'Seccomp'), '2');
  });
});

test('root: the 14 capabilities, and still no namespaces, mounts or keyrings', async () => {
  await withContainer({ user: 'root', args: ['/bin/sleep', '60'] }, async (c) => {
    const status = await run(c, 'cat /proc/self/status', 'root');
    assert.is(statusField(status.out, 'CapEff'), BND);
    assert.is(statusField(status.out, 'Seccomp'), '2');
    const unshare = await run(c, 'unshare -r true', 'root');
    assert.is.not(unshare.code, 0);
    assert.match(unshare.out, 'Operation not permitted');
    const mount = await run(c, 'mount -t tmpfs tmpfs /mnt', 'root');
    assert.is.not(mount.code, 0);
    assert.match(mount.out, /permission denied|Operation not permitted/);
    for (const probe of ['keyctl', 'add_key', 'bpf', 'mount', 'unshare_user', 'personality_bad']) {
      const result = await c.exec([`/probe/${probe}`], { user: 'root' });
      assert.is(result.exitCode, EPERM, `${probe} must fail with EPERM`);
    }
    assert.is((await c.exec(['/probe/clone3'], { user: 'root' })).exitCode, ENOSYS, 'clone3 answers ENOSYS');
    assert.is((await c.exec(['/probe/getpid'], { user: 'root' })).exitCode, 0, 'allowed calls work');
    assert.is((await c.exec(['/probe/personality_ok'], { user: 'root' })).exitCode, 0, 'personality query works');
    for (const probe of ['socket_vsock', 'socket_alg', 'socket_bluetooth', 'socketpair_vsock']) {
      assert.is((await c.exec([`/probe/${probe}`], { user: 'root' })).exitCode, EPERM, `${probe}: the family is refused with EPERM`);
    }
    assert.is((await c.exec(['/probe/socket_inet'], { user: 'root' })).exitCode, 0, 'AF_INET sockets work');
    assert.is((await c.exec(['/probe/socket_unix'], { user: 'root' })).exitCode, 0, 'AF_UNIX sockets work');
    assert.is((await c.exec(['/probe/socketpair_unix'], { user: 'root' })).exitCode, EFAULT, 'socketpair(AF_UNIX) passes the filter (EFAULT: no array given)');
    // fork (clone without namespace flags) still works, for busybox and for glibc's bash.
    const forked = await run(c, 'echo $( (echo child) ) && sh -c "exit 3"; echo $?', 'root');
    assert.is(forked.out, 'child\n3\n');
    const bash = await run(c, '/bin/bash -c \'x=$(echo sub); [ -r /etc/passwd ] && echo "$x ${BASH_VERSINFO[0]}"\'', 'root');
    assert.match(bash.out, /^sub \d+\n$/);
  });
});

test('kernel files are masked; /proc/sys and /sys are read-only', async () => {
  await withContainer({ user: 'root' }, async (c) => {
    for (const path of ['/proc/kcore', '/proc/keys', '/proc/timer_list']) {
      if (!existsSync(path)) {
        console.log(`  (${path}: this host's kernel has no such file; nothing to mask)`);
        continue;
      }
      const masked = await run(c, `stat -c '%t,%T' ${path}; wc -c < ${path}`, 'root');
      assert.equal(masked.out.trim().split('\n'), ['1,3', '0'], `${path} is /dev/null inside`);
    }
    const procSys = await run(c, 'echo evil > /proc/sys/kernel/hostname', 'root');
    assert.is.not(procSys.code, 0);
    assert.match(procSys.out, 'Read-only file system');
    const sys = await run(c, 'echo 1 > /sys/kernel/mm/ksm/run', 'root');
    assert.is.not(sys.code, 0);
    assert.match(sys.out, 'Read-only file system');
    const cgroup = await run(c, 'echo 1 > /sys/fs/cgroup/pids/pids.max', 'root');
    assert.is.not(cgroup.code, 0);
    assert.match(cgroup.out, 'Read-only file system');
  });
});

test('a memory hog is OOM-killed and reported as such', async () => {
  const container = await createContainer({
    lowerDirs: await tinyLowerDirs(),
    args: ['/bin/dd', 'if=/dev/zero', 'of=/dev/null', 'bs=128M', 'count=1'],
    limits: { memoryBytes: 64 * 1024 * 1024 },
  });
  try {
    const exit = await container.wait();
    assert.is(exit.exitCode, 137);
    assert.is(exit.signal, 'SIGKILL');
    assert.is(exit.oomKilled, true);
  } finally {
    await container.destroy();
  }
  assert.equal(await containerLeftovers(container.id), []);
});

test('a SIGKILL that is not an OOM kill is not reported as one', async () => {
  await withContainer({ limits: { memoryBytes: 64 * 1024 * 1024 } }, async (c) => {
    await c.kill('SIGKILL');
    const exit = await c.wait();
    assert.is(exit.exitCode, 137);
    assert.is(exit.oomKilled, false);
  });
});

test('a fork bomb stops at the pids limit', async () => {
  let out = '';
  let err = '';
  const container = await createContainer({
    lowerDirs: await tinyLowerDirs(),
    args: ['/bin/sh', '-c', '(i=0; while [ $i -lt 300 ]; do sleep 5 & i=$((i+1)); done); set -- /proc/[0-9]*; echo $#'],
    limits: { pids: 64 },
    onStdout: (chunk) => (out += chunk.toString()),
    onStderr: (chunk) => (err += chunk.toString()),
  });
  try {
    await container.wait();
  } finally {
    await container.destroy();
  }
  assert.match(err, "can't fork");
  const count = Number(out.trim());
  assert.ok(count > 1 && count <= 64, `processes: ${out}`);
  assert.equal(await containerLeftovers(container.id), []);
});

test('exec timeout kills the process', async () => {
  await withContainer({}, async (c) => {
    const exit = await c.exec(['/bin/sleep', '30'], { timeoutMs: 300 });
    assert.is(exit.timedOut, true);
    assert.is(exit.exitCode, 137);
  });
});

test.run();
