import '../../helpers/env.js';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat, writeFile, chown, chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  adoptContainer, cleanupContainer, containerLeftovers, createContainer, listMonitoredContainers, runtimeState, type MonitoredContainer,
} from '../../../src/container/index.js';
import { DropshipError } from '../../../src/errors.js';
import { tinyLowerDirs } from './tiny.js';
import { conmonsFor, createInChild, killHard, logDir, logLines, monitorPaths, processState, removeMonitorPaths, until } from './monitor-helpers.js';

/** A counter every 100 ms; SIGTERM ends it with 143 (a shell as pid 1 ignores signals it does not trap). */
const COUNTER = ['/bin/sh', '-c', 'trap "exit 143" TERM; i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.1; done'];

/** Ids made by the running test: whatever a failed assertion left is cleaned up by id. */
const made = new Set<string>();
test.after.each(async () => {
  for (const id of made) await cleanupContainer(id);
  made.clear();
  await removeMonitorPaths();
});

async function adopt(id: string): Promise<MonitoredContainer> {
  const container = await adoptContainer(id);
  assert.ok(container, `adopted ${id}`);
  return container!;
}

/** After destroy: no conmon, no runc container, no mount, no cgroup, no bundle, no exit file. */
async function assertGone(container: MonitoredContainer, conmonPid: number): Promise<void> {
  assert.is(await processState(conmonPid).then((s) => (s === 'Z' ? undefined : s)), undefined, `conmon ${conmonPid} is gone`);
  assert.equal(await conmonsFor(container.id), []);
  assert.is(await runtimeState('runc', container.id), undefined);
  assert.equal(await containerLeftovers(container.id), []);
  assert.is(existsSync(container.exitFile!), false, 'exit file removed');
  assert.is(existsSync(container.logPath!), true, 'the log stays');
  assert.is(await adoptContainer(container.id), undefined);
}

test('a monitored container outlives the process that created it; a later process adopts, execs, stops and destroys it', async () => {
  const paths = await monitorPaths();
  const { child, id, pid, conmonPid } = await createInChild({ lowerDirs: await tinyLowerDirs(), args: COUNTER, monitor: paths, labels: { app: 'web' } });
  made.add(id);
  await killHard(child);
  // From the host's side: runc's state, the init alive with the same pid, conmon not the dead child's.
  assert.is((await runtimeState('runc', id))?.status, 'running');
  assert.is((await runtimeState('runc', id))?.pid, pid);
  assert.is.not(await processState(pid), undefined);
  assert.equal(await conmonsFor(id), [conmonPid]);
  const atKill = (await logLines(paths.logPath)).length;
  await until('the log to grow after the creator died', async () => (await logLines(paths.logPath)).length >= atKill + 5, logDir(paths.logPath));

  const listed = (await listMonitoredContainers()).find((c) => c.id === id);
  assert.equal(
    { status: listed?.runtimeStatus, alive: listed?.monitorAlive, labels: listed?.labels, exit: listed?.exit },
    { status: 'running', alive: true, labels: { app: 'web' }, exit: undefined },
  );

  const container = await adopt(id);
  try {
    assert.is(await container.pid(), pid);
    assert.is(container.conmonPid, conmonPid);
    let out = '';
    const exec = await container.exec(['/bin/sh', '-c', 'echo from-exec; exit 3'], { onStdout: (c) => (out += c) });
    assert.is(exec.exitCode, 3);
    assert.is(out, 'from-exec\n');
    await container.kill('SIGTERM');
    const exit = await container.wait();
    assert.equal(exit, { exitCode: 143, signal: 'SIGTERM', oomKilled: false, timedOut: false });
    // Never a SIGPIPE (exit 141): every tick is in the log, in order, across the creator's death
    // (tini passes SIGTERM to the whole group, so the shell may report its killed sleep).
    const ticks = (await logLines(paths.logPath)).map((l) => l.line).filter((line) => line !== 'Terminated');
    assert.ok(ticks.length >= atKill + 5);
    assert.equal(ticks, ticks.map((_, i) => `tick ${i}`));
  } finally {
    await container.destroy();
  }
  await assertGone(container, conmonPid);
});

test('a container that exits while no dropship process runs: adoption reads its status from the exit file', async () => {
  const paths = await monitorPaths();
  // Outside the store, whose top level dropship keeps closed (0700); container root, an
  // unprivileged host uid, must read it.
  const signals = await mkdtemp(join('/var/tmp', 'dropship-monitor-signal-'));
  await chmod(signals, 0o755);
  try {
    const { child, id, conmonPid } = await createInChild({
      lowerDirs: await tinyLowerDirs(),
      args: ['/bin/sh', '-c', 'while [ ! -e /signal/go ]; do sleep 0.05; done; echo bye; exit 7'],
      mounts: [{ source: signals, destination: '/signal', readonly: true }],
      monitor: paths,
    });
    made.add(id);
    await killHard(child);
    await writeFile(join(signals, 'go'), '');
    await until('the exit file', async () => existsSync(join(paths.exitDir, id)), paths.exitDir);
    const listed = (await listMonitoredContainers()).find((c) => c.id === id);
    assert.is(listed?.runtimeStatus, 'stopped');
    assert.is(listed?.exit?.exitCode, 7);
    const container = await adopt(id);
    try {
      assert.equal(await container.wait(), { exitCode: 7, oomKilled: false, timedOut: false });
      assert.equal((await logLines(paths.logPath)).map((l) => [l.stream, l.line]), [['stdout', 'bye']]);
    } finally {
      await container.destroy();
    }
    await assertGone(container, conmonPid);
  } finally {
    await rm(signals, { recursive: true, force: true });
  }
});

test('a garbage exit file: exited with an unknown status and an error naming the file, no crash', async () => {
  const paths = await monitorPaths();
  const container = await createContainer({ lowerDirs: await tinyLowerDirs(), args: ['/bin/true'], monitor: paths });
  const conmonPid = container.conmonPid!;
  made.add(container.id);
  try {
    await until('the exit file', async () => existsSync(container.exitFile!), paths.exitDir);
    await until('conmon to finish', async () => (await conmonsFor(container.id)).length === 0);
    await writeFile(container.exitFile!, 'garbage\u0000\n');
    const listed = (await listMonitoredContainers()).find((c) => c.id === container.id);
    assert.is(listed?.exit?.statusError?.code, 'EXIT_FILE_INVALID');
    const adopted = await adopt(container.id);
    const exit = await adopted.wait();
    assert.is(exit.exitCode, -1);
    assert.instance(exit.statusError, DropshipError);
    assert.is(exit.statusError!.code, 'EXIT_FILE_INVALID');
    assert.match(exit.statusError!.message, `exit file ${container.exitFile}: "garbage`);
    await adopted.destroy();
  } finally {
    await container.destroy();
  }
  await assertGone(container, conmonPid);
});

test('SIGPIPE safety: an app flooding its output while its creator is dead keeps running; the log stays under its cap', async () => {
  const paths = await monitorPaths();
  const cap = 64 * 1024;
  const flood = 'trap "exit 143" TERM; i=0; while [ $i -lt 100000 ]; do echo flood-line-$i; i=$((i+1)); done; echo flood-done; while :; do sleep 0.1; done';
  const { child, id, conmonPid } = await createInChild({ lowerDirs: await tinyLowerDirs(), args: ['/bin/sh', '-c', flood], monitor: { ...paths, logSizeMax: cap } });
  made.add(id);
  await killHard(child);
  await until('the end of the flood in the log', async () => (await logLines(paths.logPath)).some((l) => l.line === 'flood-done'), logDir(paths.logPath), 120_000);
  assert.is((await runtimeState('runc', id))?.status, 'running');
  assert.ok((await stat(paths.logPath)).size <= cap, `log of ${(await stat(paths.logPath)).size} bytes under the ${cap}-byte cap`);
  const container = await adopt(id);
  try {
    await container.kill('SIGTERM');
    assert.is((await container.wait()).exitCode, 143, 'ended by our SIGTERM, not by a SIGPIPE (141)');
  } finally {
    await container.destroy();
  }
  await assertGone(container, conmonPid);
});

test('conmon killed while the container runs: adopted, reported as monitor lost, destroyed cleanly', async () => {
  const paths = await monitorPaths();
  const container = await createContainer({ lowerDirs: await tinyLowerDirs(), args: ['/bin/sleep', '600'], monitor: paths });
  const conmonPid = container.conmonPid!;
  made.add(container.id);
  try {
    process.kill(conmonPid, 'SIGKILL');
    await until('conmon to die', async () => (await conmonsFor(container.id)).length === 0);
    const listed = (await listMonitoredContainers()).find((c) => c.id === container.id);
    assert.equal([listed?.runtimeStatus, listed?.monitorAlive], ['running', false]);
    const adopted = await adopt(container.id);
    assert.is(adopted.conmonPid, undefined);
    // Told at once for an adopted container whose init runs without its monitor (hangs otherwise).
    await adopted.monitorLost();
    assert.is((await adopted.exec(['/bin/true'])).exitCode, 0);
    const exit = adopted.wait();
    await adopted.kill('SIGKILL');
    const info = await exit;
    assert.is(info.exitCode, -1);
    assert.is(info.statusError?.code, 'MONITOR_LOST');
    assert.match(info.statusError!.message, `its monitor conmon`);
    await adopted.destroy();
  } finally {
    await container.destroy();
  }
  await assertGone(container, conmonPid);
});

test('out of memory under conmon: exit 137 and oomKilled, from the cgroup counter', async () => {
  const paths = await monitorPaths();
  const container = await createContainer({
    lowerDirs: await tinyLowerDirs(),
    args: ['/bin/dd', 'if=/dev/zero', 'of=/dev/null', 'bs=128M', 'count=1'],
    limits: { memoryBytes: 64 * 1024 * 1024 },
    monitor: paths,
  });
  const conmonPid = container.conmonPid!;
  made.add(container.id);
  try {
    const exit = await container.wait();
    assert.equal(exit, { exitCode: 137, signal: 'SIGKILL', oomKilled: true, timedOut: false });
    // conmon marks an OOM kill with a file named `oom` in its working directory: the bundle, not ours.
    assert.is(existsSync(join(container.bundle, 'oom')), true);
    assert.is(existsSync(join(process.cwd(), 'oom')), false);
  } finally {
    await container.destroy();
  }
  await assertGone(container, conmonPid);
});

test('a monitored container whose program is missing exits 127 with the reason in its log; destroy leaves nothing, conmon included', async () => {
  const paths = await monitorPaths();
  const id = `dropship-monfail-${process.pid}`;
  made.add(id);
  // tini is pid 1 (as docker --init): the container starts, and tini reports the failed exec.
  const container = await createContainer({ id, lowerDirs: await tinyLowerDirs(), args: ['/no/such/program'], monitor: paths });
  try {
    assert.is((await container.wait()).exitCode, 127);
    assert.ok((await logLines(paths.logPath)).some((l) => l.stream === 'stderr' && l.line.includes('/no/such/program')));
  } finally {
    await container.destroy();
  }
  assert.equal(await containerLeftovers(id), []);
  assert.equal(await conmonsFor(id), []);
  assert.is(existsSync(join(paths.exitDir, id)), false);
});

test("crun is refused for monitored containers, and the host's /dev/null keeps its owner and mode", async () => {
  const before = await stat('/dev/null');
  try {
    await createContainer({ lowerDirs: await tinyLowerDirs(), args: ['/bin/true'], runtime: 'crun', monitor: await monitorPaths() }).then(
      () => assert.unreachable('crun accepted'),
      (error: DropshipError) => {
        assert.is(error.code, 'INVALID_CONTAINER_OPTION');
        assert.match(error.message, 'container option runtime: "crun"');
        assert.match(error.hint!, '/dev/null');
      },
    );
    const after = await stat('/dev/null');
    assert.equal([after.uid, after.gid, after.mode], [before.uid, before.gid, before.mode]);
  } finally {
    const now = await stat('/dev/null');
    if (now.uid !== 0 || now.gid !== 0) await chown('/dev/null', 0, 0);
    if ((now.mode & 0o777) !== 0o666) await chmod('/dev/null', 0o666);
  }
});

test('adoptContainer: unknown ids are undefined, path-like ids refused, a garbage record names its file', async () => {
  assert.is(await adoptContainer('dropship-no-such-container'), undefined);
  await adoptContainer('../../etc').then(
    () => assert.unreachable('accepted a path'),
    (error: DropshipError) => assert.is(error.code, 'INVALID_CONTAINER_OPTION'),
  );
  const container = await createContainer({ lowerDirs: await tinyLowerDirs(), args: ['/bin/sleep', '600'], monitor: await monitorPaths() });
  made.add(container.id);
  try {
    const record = join(container.bundle, 'container.json');
    assert.is((await stat(record)).mode & 0o777, 0o600);
    const saved = await readFile(record, 'utf8');
    await writeFile(record, saved.slice(0, 50));
    await adoptContainer(container.id).then(
      () => assert.unreachable('adopted a cut record'),
      (error: DropshipError) => {
        assert.is(error.code, 'CONTAINER_RECORD_INVALID');
        assert.match(error.message, `${record}: is not JSON`);
      },
    );
    const listed = (await listMonitoredContainers()).find((c) => c.id === container.id);
    assert.is(listed?.error?.code, 'CONTAINER_RECORD_INVALID');
  } finally {
    await container.destroy();
  }
  assert.equal(await containerLeftovers(container.id), []);
});

test.run();
