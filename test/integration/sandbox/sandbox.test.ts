import '../../helpers/env.js';
import { watch } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isRoot, uniqueName } from '../../helpers/env.js';
import { homePaths } from '../../../src/home.js';
import { shortId } from '../../../src/network/names.js';
import type { MonitoredContainer } from '../../../src/container/index.js';
import { createSandbox } from '../../../src/sandbox/index.js';
import { tinyLowerDirs } from '../container/tiny.js';

/** What a sandbox named `id` left on the host: runtime state, bundle, mounts, loop device, network lease, veth, iptables rules. */
async function leftovers(id: string): Promise<string[]> {
  const found: string[] = [];
  if (String((await execa('runc', ['list', '-q'], { reject: false })).stdout).split('\n').includes(id)) found.push('runc');
  if ((await readFile('/proc/self/mountinfo', 'utf8')).includes(id)) found.push('mount');
  if (String((await execa('losetup', ['-l', '-n', '-O', 'BACK-FILE'], { reject: false })).stdout).includes(id)) found.push('loop device');
  if (await access(`${homePaths().containers}/${id}`).then(() => true, () => false)) found.push('bundle');
  const leases = await readFile(`${homePaths().network}/leases.json`, 'utf8').catch(() => '{"leases":{}}');
  const lease = (JSON.parse(leases) as { leases: Record<string, { containerId: string; short: string }> }).leases;
  const short = shortId(id);
  if (String((await execa('iptables-save', [], { reject: false })).stdout).includes(short)) found.push('iptables rules');
  if (await access(`/sys/class/net/ds-${short}`).then(() => true, () => false)) found.push(`veth ds-${short}`);
  for (const l of Object.values(lease)) {
    if (l.containerId !== id) continue;
    found.push('lease');
  }
  return found;
}

test('a sandbox with a network: address, one host name, veth, and one destroy that removes all and can run twice', async () => {
  if (!isRoot) return console.log('skip: needs root for runc and network namespaces');
  const id = uniqueName('dropship-sbx');
  const sandbox = await createSandbox({
    id,
    network: { kind: 'running' },
    hostname: 'sbx',
    lowerDirs: await tinyLowerDirs(),
    args: ['/bin/sleep', '600'],
    user: 'vcap',
    env: (ip) => ({ MY_IP: ip }),
  });
  try {
    assert.match(sandbox.ip, /^\d+\.\d+\.\d+\.\d+$/);
    assert.is.not(sandbox.ip, '127.0.0.1');
    let out = '';
    const inside = await sandbox.container.exec(['/bin/sh', '-c', 'echo "env $MY_IP"; echo "uts $(hostname)"; grep -c "sbx$" /etc/hosts; ip -4 addr show eth0'], { onStdout: (c) => (out += c) });
    assert.is(inside.exitCode, 0);
    assert.match(out, `env ${sandbox.ip}\n`);
    // The one hostname is the container's uts name and the name /etc/hosts gives its address.
    assert.match(out, 'uts sbx\n1\n');
    assert.match(out, `inet ${sandbox.ip}/32`);
    assert.ok((await leftovers(id)).includes('lease'));
  } finally {
    await Promise.all([sandbox.destroy(), sandbox.destroy()]);
    await sandbox.destroy();
  }
  assert.equal(await leftovers(id), []);
});

test("a monitored sandbox's process starts with its network: its first command sees address and default route", async () => {
  if (!isRoot) return;
  const id = uniqueName('dropship-sbx');
  await mkdir(homePaths().tmp, { recursive: true });
  const dir = await mkdtemp(join(homePaths().tmp, 'sandbox-monitor-'));
  const logPath = join(dir, 'log');
  // Nothing waits in front of the command: what it prints first is what it started with.
  const sandbox = await createSandbox({
    id,
    network: { kind: 'running' },
    hostname: 'sbx',
    lowerDirs: await tinyLowerDirs(),
    args: ['/bin/sh', '-c', 'grep "^eth0" /proc/net/route; ip -4 addr show eth0; echo checked; exec sleep 600'],
    user: 'vcap',
    monitor: { logPath, exitDir: join(dir, 'exits') },
    labels: (ip) => ({ ip }),
  });
  try {
    let log = '';
    for (let i = 0; i < 500 && !log.includes('checked'); i++) {
      await new Promise((r) => setTimeout(r, 20));
      log = await readFile(logPath, 'utf8').catch(() => '');
    }
    assert.ok(log.includes('checked'), log);
    assert.match(log, /eth0\t00000000\t/, 'the default route was there at the first line');
    assert.match(log, `inet ${sandbox.ip}/32`);
    // Made from the lease while the rootfs was mounted, and in the record a later daemon adopts it by.
    assert.is((sandbox.container as MonitoredContainer).labels.ip, sandbox.ip);
    const record = JSON.parse(await readFile(join(sandbox.container.bundle, 'container.json'), 'utf8')) as { options: { labels: Record<string, string> } };
    assert.is(record.options.labels.ip, sandbox.ip);
  } finally {
    await sandbox.destroy();
    await rm(dir, { recursive: true, force: true });
  }
  assert.equal(await leftovers(id), []);
});

test('a container that cannot be created leaves no lease, veth, bundle or runtime state behind', async () => {
  if (!isRoot) return;
  const id = uniqueName('dropship-sbx');
  try {
    await createSandbox({
      id,
      network: { kind: 'running' },
      lowerDirs: ['/nonexistent/lower'],
      args: ['/bin/true'],
    });
    assert.unreachable('the container cannot be created');
  } catch (error) {
    assert.not.instance(error, assert.Assertion);
  }
  assert.equal(await leftovers(id), []);
});

// The lease is taken while the bundle and the rootfs (here on a quota disk: mkfs and a loop mount)
// are made. A lease refused meanwhile must not clean up under a mount still being made: a mount
// that lands after the teardown is left with nothing to remove it. (That the rootfs fails while
// the lease is taken is the test above: its mount fails at once.)
test('a lease refused while the rootfs is being mounted leaves no mount, loop device, bundle, lease or veth', async () => {
  if (!isRoot) return;
  const holder = await createSandbox({ id: uniqueName('dropship-sbx'), network: { kind: 'running', ports: [{}] }, lowerDirs: await tinyLowerDirs(), args: ['/bin/sleep', '600'], user: 'vcap' });
  const id = uniqueName('dropship-sbx');
  let bundleMade = false;
  const watcher = watch(homePaths().containers, (_event, name) => void (bundleMade ||= name === id));
  try {
    // The holder's host port: the lease is refused after the network lock was taken and an address claimed.
    const port = holder.hostPorts[0]!.host;
    const error = await createSandbox({
      id,
      network: { kind: 'running', ports: [{ host: port }] },
      lowerDirs: await tinyLowerDirs(),
      args: ['/bin/true'],
      user: 'vcap',
      limits: { diskBytes: 64 * 1024 * 1024 },
    }).then(() => undefined, (error: unknown) => error);
    assert.match(String(error), String(port));
    assert.ok(bundleMade, 'the container was being made when the lease was refused');
    assert.equal(await leftovers(id), []);
    // The refusal took nothing of the holder's.
    assert.ok((await leftovers(holder.id)).includes('lease'));
  } finally {
    watcher.close();
    await holder.destroy();
  }
  assert.equal(await leftovers(holder.id), []);
});

test('a container refused before its lease is taken leaves no lease behind', async () => {
  if (!isRoot) return;
  const id = uniqueName('dropship-sbx');
  // Refused at once (no command), while the lease is still being taken.
  const error = await createSandbox({ id, network: { kind: 'running', ports: [{}] }, lowerDirs: await tinyLowerDirs(), args: [] }).then(() => undefined, (error: unknown) => error);
  assert.is((error as { code?: string }).code, 'INVALID_CONTAINER_OPTION');
  // A lease the teardown did not wait for lands a few ms after it.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(await leftovers(id), []);
});

test('a container whose init exits while its network is attached leaves nothing, whichever step it hit', async () => {
  if (!isRoot) return;
  for (let i = 0; i < 3; i++) {
    const id = uniqueName('dropship-sbx');
    const made = await createSandbox({ id, network: { kind: 'running', ports: [{}] }, lowerDirs: await tinyLowerDirs(), args: ['/bin/true'], user: 'vcap' })
      .catch(() => undefined);
    // Attached before it exited, or refused: either way one destroy (or none) removes everything.
    await made?.destroy();
    assert.equal(await leftovers(id), [], `attempt ${i + 1}`);
  }
});

// A Ctrl-C that lands while a sandbox is being destroyed (a task that just ended) must wait for that
// teardown: the interrupt cleanup was unregistered when the teardown began, so the process could exit
// as soon as the container was gone, with the veth, rules or lease still there. (A race: the old code
// lost it only when the network's teardown outlasted the container's; this guards the whole path.)
test('Ctrl-C during a sandbox teardown exits only once its network is gone too', async () => {
  if (!isRoot) return;
  const id = uniqueName('dropship-sbx');
  const src = new URL('../../../src/', import.meta.url).pathname;
  const script = `
    import { installCleanupHandlers } from '${src}container/index.ts';
    import { createSandbox } from '${src}sandbox/index.ts';
    import { tinyLowerDirs } from '${new URL('../container/tiny.ts', import.meta.url).pathname}';
    installCleanupHandlers();
    const sandbox = await createSandbox({ id: '${id}', network: { kind: 'running' }, lowerDirs: await tinyLowerDirs(),
      args: ['/bin/sleep', '600'], user: 'vcap' });
    void sandbox.destroy();
    process.kill(process.pid, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 60_000));
  `;
  const child = await execa('node', ['--import', 'tsx', '--input-type=module', '-e', script], { reject: false, env: { DROPSHIP_HOME: homePaths().root } });
  try {
    assert.is(child.exitCode, 130, child.stderr);
    assert.equal(await leftovers(id), []);
  } finally {
    await execa('node', ['--import', 'tsx', new URL('../../../src/cli/main.ts', import.meta.url).pathname, 'gc'], { reject: false });
  }
});

test.run();
