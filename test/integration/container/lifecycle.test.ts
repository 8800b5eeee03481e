import '../../helpers/env.js';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { uniqueName } from '../../helpers/env.js';
import {
  buildSpec, cleanupContainer, containerLeftovers, createContainer, listContainers, normalizeContainerOptions,
  runtimeCreate, runtimeKill, runtimeStart, runtimeState, runtimeStats,
} from '../../../src/container/index.js';
import { createBundle, writeSpec } from '../../../src/container/bundle.js';
import { cgroupsPathFor } from '../../../src/container/cgroups.js';
import { mountRootfs, rootfsPath } from '../../../src/container/rootfs.js';
import { DropshipError } from '../../../src/errors.js';
import { hostGid } from '../../../src/security/idmap.js';
import { tinyLowerDirs } from './tiny.js';

test('listContainers shows a running container with its labels; destroy twice is safe', async () => {
  const container = await createContainer({ lowerDirs: await tinyLowerDirs(), args: ['/bin/sleep', '60'], labels: { purpose: 'lifecycle-test' } });
  try {
    assert.match(container.id, /^dropship-[0-9a-f]{16}$/);
    const listed = (await listContainers()).find((c) => c.id === container.id);
    assert.ok(listed, 'listed');
    assert.is(listed!.status, 'running');
    assert.is(listed!.runtime, 'runc');
    assert.is(listed!.pid, await container.pid());
    assert.equal(listed!.labels, { purpose: 'lifecycle-test' });
  } finally {
    await container.destroy();
    await container.destroy();
  }
  assert.equal(await containerLeftovers(container.id), []);
  assert.is((await listContainers()).some((c) => c.id === container.id), false);
});

test('exec streams output and reports exit codes while init keeps running; stats', async () => {
  const container = await createContainer({ lowerDirs: await tinyLowerDirs(), args: ['/bin/sleep', '60'], limits: { memoryBytes: 64 * 1024 * 1024 } });
  try {
    const chunks: string[] = [];
    const exit = await container.exec(['/bin/sh', '-c', 'echo one; echo two >&2; exit 5'], {
      env: { X: '1' },
      onStdout: (c) => chunks.push(`out:${c}`),
      onStderr: (c) => chunks.push(`err:${c}`),
    });
    assert.is(exit.exitCode, 5);
    assert.equal(chunks.sort(), ['err:two\n', 'out:one\n']);
    assert.is((await runtimeState('runc', container.id))?.status, 'running');
    const stats = (await runtimeStats(container.id)) as { memory?: { usage?: { usage: number; limit: number } }; pids?: { current: number } };
    assert.is(stats.memory?.usage?.limit, 64 * 1024 * 1024);
    assert.ok(stats.memory!.usage!.usage > 0);
    assert.ok(stats.pids!.current >= 1);
  } finally {
    await container.destroy();
  }
});

test('a command that does not exist: tini says why, exits 127, and nothing is left behind', async () => {
  const id = uniqueName('dropship-fail');
  let stderr = '';
  const container = await createContainer({ id, lowerDirs: await tinyLowerDirs(), args: ['/no/such/program'], onStderr: (b) => (stderr += b) });
  try {
    const exit = await container.wait();
    assert.is(exit.exitCode, 127);
    assert.match(stderr, 'exec /no/such/program failed: No such file or directory');
  } finally {
    await container.destroy();
  }
  assert.equal(await containerLeftovers(id), []);
});

test('a runtime that cannot start the container says why and leaves nothing behind', async () => {
  const id = uniqueName('dropship-fail');
  try {
    // A working directory that is a file: runc itself fails, before any process runs.
    await createContainer({ id, lowerDirs: await tinyLowerDirs(), args: ['/bin/true'], cwd: '/etc/passwd' });
    assert.unreachable('should not start');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as DropshipError).code, 'CONTAINER_START');
    assert.match((error as DropshipError).message, `runc run ${id} failed (exit 1:`);
    assert.match((error as DropshipError).message, '/etc/passwd');
  }
  assert.equal(await containerLeftovers(id), []);
});

test('an id clash is refused without touching the other container', async () => {
  const first = await createContainer({ lowerDirs: await tinyLowerDirs(), args: ['/bin/sleep', '60'] });
  try {
    await createContainer({ id: first.id, lowerDirs: await tinyLowerDirs(), args: ['/bin/true'] }).then(
      () => assert.unreachable('should clash'),
      (error: DropshipError) => assert.is(error.code, 'CONTAINER_EXISTS'),
    );
    assert.is((await runtimeState('runc', first.id))?.status, 'running');
    assert.ok(existsSync(first.bundle));
  } finally {
    await first.destroy();
  }
});

test('cleanupContainer removes what a crashed process left (gc)', async () => {
  const abandoned = await createContainer({ lowerDirs: await tinyLowerDirs(), args: ['/bin/sleep', '60'] });
  try {
    assert.ok((await containerLeftovers(abandoned.id)).length >= 3, 'runtime state, mount, cgroups, bundle');
    await cleanupContainer(abandoned.id);
    assert.equal(await containerLeftovers(abandoned.id), []);
    const exit = await abandoned.wait();
    assert.is(exit.signal, 'SIGKILL');
  } finally {
    await abandoned.destroy();
  }
});

test('the disk quota: the writable layer fills up at the limit, the host disk does not', async () => {
  const container = await createContainer({ lowerDirs: await tinyLowerDirs(), args: ['/bin/sleep', '60'], user: 'root', limits: { diskBytes: 32 * 1024 * 1024 } });
  try {
    let out = '';
    const exit = await container.exec(['/bin/sh', '-c', 'dd if=/dev/zero of=/big bs=1M count=64 2>&1; ls -l /big'], { onStdout: (c) => (out += c) });
    assert.is(exit.exitCode, 0);
    assert.match(out, 'No space left on device');
    const size = Number(out.trim().split('\n').at(-1)!.split(/\s+/)[4]);
    assert.ok(size > 16 * 1024 * 1024 && size < 32 * 1024 * 1024, `file size ${size}`);
    // The file landed on the quota's own small filesystem, not on the one holding the bundle.
    const upperFile = join(container.bundle, 'disk', 'upper', 'big');
    assert.is.not((await stat(upperFile)).dev, (await stat(container.bundle)).dev);
    const quota = await statfs(join(container.bundle, 'disk'));
    assert.ok(quota.blocks * quota.bsize <= 32 * 1024 * 1024, `quota filesystem of ${quota.blocks * quota.bsize} bytes`);
  } finally {
    await container.destroy();
  }
  assert.equal(await containerLeftovers(container.id), []);
});

test('the driver: create, start, state, kill on a hand-made bundle', async () => {
  const lowerDirs = await tinyLowerDirs();
  const options = normalizeContainerOptions({ lowerDirs, args: ['/bin/sleep', '60'] });
  try {
    const bundle = await createBundle(options.id, hostGid(options.idMap, 0));
    await mountRootfs(bundle, lowerDirs, options.idMap);
    await writeSpec(bundle, buildSpec({ ...options, rootfs: rootfsPath(bundle), cgroupsPath: cgroupsPathFor(options.id), annotations: {} }));
    await runtimeCreate('runc', bundle, options.id, join(bundle, 'init.pid'));
    assert.is((await runtimeState('runc', options.id))?.status, 'created');
    await runtimeStart('runc', options.id);
    assert.is((await runtimeState('runc', options.id))?.status, 'running');
    await runtimeKill('runc', options.id, 'SIGKILL');
    for (let i = 0; i < 100 && (await runtimeState('runc', options.id))?.status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.is((await runtimeState('runc', options.id))?.status, 'stopped');
  } finally {
    await cleanupContainer(options.id);
  }
  assert.equal(await containerLeftovers(options.id), []);
  assert.is(await runtimeState('runc', options.id), undefined);
});

test('a home below a directory container root cannot traverse is refused, naming the directory', async () => {
  const lowerDirs = await tinyLowerDirs();
  const outer = await mkdtemp(join(tmpdir(), 'dropship-private-'));
  const saved = process.env.DROPSHIP_HOME;
  try {
    await mkdir(join(outer, 'home'));
    process.env.DROPSHIP_HOME = join(outer, 'home');
    await createContainer({ lowerDirs, args: ['/bin/true'] }).then(
      () => assert.unreachable('should be refused'),
      (error: DropshipError) => {
        assert.is(error.code, 'HOME_NOT_TRAVERSABLE');
        assert.is(error.message, `${outer} (mode 700) cannot be traversed by container root, an unprivileged host uid`);
      },
    );
  } finally {
    process.env.DROPSHIP_HOME = saved;
    await rm(outer, { recursive: true, force: true });
  }
});

test.run();
