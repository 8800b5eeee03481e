import '../../helpers/env.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmod, mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { homePaths } from '../../../src/home.js';
import { isRoot, uniqueName } from '../../helpers/env.js';
import { ensureTestImage } from '../app/fixture.js';
import { dropship, eventually, leaseShorts } from '../app/helpers.js';
import { conmonsFor } from '../container/monitor-helpers.js';
import { closePrivateStore, freePort, instances, killDaemon9, pollingClient, runtimeState, type PsInstance } from './helpers.js';

// A store of its own: these tests kill the daemon and conmons, which must not touch the shared
// store's daemon (other suites talk to it). Set in before(), put back in after().
const test = suite('monitor lost');
const sharedHome = process.env.DROPSHIP_HOME;
let home = '';
const app = uniqueName('mon');
let hostPort = 0;
const shorts = new Set<string>();

/** conmon's pid for an instance's container, from its pid file, and that it is still the one. */
async function conmonOf(containerId: string): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(join(homePaths().containers, containerId, 'conmon.pid'), 'utf8').catch(() => ''), 10);
  return (await conmonsFor(containerId)).includes(pid) ? pid : undefined;
}

async function killConmon(containerId: string): Promise<void> {
  const pid = await conmonOf(containerId);
  assert.ok(pid, `conmon of ${containerId} runs`);
  process.kill(pid!, 'SIGKILL');
  await eventually(async () => (await conmonsFor(containerId)).length === 0, `conmon of ${containerId} to die`);
}

async function events(): Promise<Array<{ type: string; message: string; instance?: number }>> {
  return JSON.parse((await dropship('events', app, '--json')).stdout);
}

/** Once instance `index` runs in a container other than `old` and `old` is gone from runc. */
async function replaced(index: number, old: string): Promise<PsInstance[]> {
  return eventually(async () => {
    const list = await instances(app);
    const now = list.find((i) => i.index === index);
    if (list.length !== 2 || !now || now.containerId === old || now.state !== 'running') return undefined;
    return (await runtimeState(old)) === undefined ? list : undefined;
  }, `instance ${index} to be replaced`, 150);
}

/** `fn` under a polling client, stopped whatever happens (a polling client left would keep the suite alive). */
async function whilePolling<T>(fn: () => Promise<T>): Promise<{ after: T; ok: number; failed: string[] }> {
  const client = pollingClient(hostPort);
  let after: T;
  try {
    after = await fn();
  } catch (error) {
    await client.stop();
    throw error;
  }
  return { after, ...(await client.stop()) };
}

test.before(async () => {
  if (!isRoot) return;
  home = await mkdtemp('/var/tmp/dropship-monlost-');
  await chmod(home, 0o755);
  process.env.DROPSHIP_HOME = home;
  const image = await ensureTestImage();
  const run = await dropship('run', image, '--name', app, '-d', '-i', '2', '-p', String(await freePort()), '--stop-timeout', '2', '--json');
  assert.is(run.exitCode, 0, run.stderr);
  hostPort = JSON.parse(run.stdout).hostPort;
});

test.after(async () => {
  if (isRoot) assert.equal(await closePrivateStore(app, home, shorts, sharedHome), []);
  process.env.DROPSHIP_HOME = sharedHome;
});

test('conmon killed while no daemon runs: the container runs on unmonitored; the next daemon replaces it under a fresh monitor with no failed request', async () => {
  if (!isRoot) return console.log('skip: needs root for runc and conmon');
  const before = await instances(app);
  assert.equal(before.map((i) => i.state), ['running', 'running']);
  for (const short of await leaseShorts(app)) shorts.add(short);
  const victim = before[0]!.containerId!;
  const pid = (await runtimeState(victim))!.pid;
  await killDaemon9();
  await killConmon(victim);
  // What happens to the container: it runs on (the app writes nothing more, so no SIGPIPE), same init.
  const state = await runtimeState(victim);
  assert.equal([state?.status, state?.pid], ['running', pid]);
  const { after, ok, failed } = await whilePolling(async () => {
    await instances(app); // starts a daemon, which adopts both
    return replaced(0, victim);
  });
  assert.equal(failed, [], 'no request failed');
  assert.ok(ok > 0, `the client got answers (${ok})`);
  assert.is(after[1]!.containerId, before[1]!.containerId, 'the instance whose conmon lives was adopted, not replaced');
  assert.ok(await conmonOf(after[0]!.containerId!), 'the replacement runs under a conmon of its own');
  const seen = await events();
  assert.ok(seen.some((e) => e.type === 'monitor-lost' && e.instance === 0 && e.message.includes(victim)), 'an event names the orphan');
  assert.not.ok(seen.some((e) => e.type === 'crash'), 'a replacement is not a crash');
  for (const short of await leaseShorts(app)) shorts.add(short);
});

test('conmon killed while the daemon runs: replaced the same way, healthy before the orphan stops', async () => {
  if (!isRoot) return console.log('skip: needs root for runc and conmon');
  const before = await instances(app);
  assert.equal(before.map((i) => i.state), ['running', 'running']);
  const victim = before[1]!.containerId!;
  const { after, ok, failed } = await whilePolling(async () => {
    await killConmon(victim);
    return replaced(1, victim);
  });
  assert.equal(failed, [], 'no request failed');
  assert.ok(ok > 0, `the client got answers (${ok})`);
  assert.is(after[0]!.containerId, before[0]!.containerId, 'the other instance is untouched');
  assert.ok(await conmonOf(after[1]!.containerId!), 'the replacement runs under a conmon of its own');
  for (const short of await leaseShorts(app)) shorts.add(short);
});

test('conmon and the container both killed while no daemon runs: counted as a crash and restarted', async () => {
  if (!isRoot) return console.log('skip: needs root for runc and conmon');
  const before = await instances(app);
  const victim = before[0]!.containerId!;
  const pid = (await runtimeState(victim))!.pid;
  await killDaemon9();
  await killConmon(victim);
  process.kill(pid, 'SIGKILL');
  await eventually(async () => (await runtimeState(victim))?.status === 'stopped', 'the container to stop');
  await instances(app);
  // A restart keeps the slot's guid, so its container's name: a new init says it is a new container.
  const after = await eventually(async () => {
    const list = await instances(app);
    return list[0]!.state === 'running' && list[0]!.restarts === before[0]!.restarts + 1 && list[0]!.pid !== pid ? list : undefined;
  }, 'instance 0 restarted', 150);
  assert.is(after[1]!.containerId, before[1]!.containerId, 'the other instance is untouched');
  assert.match(after[0]!.lastExit ?? '', /Exit status unknown: .*its monitor conmon .*is gone/);
  assert.ok((await events()).some((e) => e.type === 'crash' && e.instance === 0));
  for (const short of await leaseShorts(app)) shorts.add(short);
});

test.run();
