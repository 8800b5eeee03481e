import { uniqueName } from '../../helpers/env.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { homePaths } from '../../../src/home.js';
import { ensureNetwork, gcNetwork, releaseHostPort, removeDataPath, reserveHostPort, setBackends } from '../../../src/network/index.js';
import { dataPathShort } from '../../../src/network/names.js';
import { getOnce, startBackend, type TestBackend } from './backends.js';
import { createWorld, type World } from './world.js';

let world: World;
const backends: TestBackend[] = [];
const owner = uniqueName('dpapp');
let hostPort = 0;
let short = '';

/** iptables-save without counters and without other containers' per-container lines (other tests run beside this one). */
function savedState(): string[] {
  return execFileSync('iptables-save', { encoding: 'utf8' })
    .split('\n')
    .filter((line) => !line.startsWith('#') && !/dropship:[0-9a-f]{10}|DROPSHIP-SG-/.test(line))
    .map((line) => line.replace(/\[\d+:\d+\]/, ''))
    .filter((line) => !/DROPSHIP-DP-|dropship-dp:/.test(line) || line.includes(short));
}

function ownLines(): string[] {
  return execFileSync('iptables-save', { encoding: 'utf8' }).split('\n').filter((line) => line.includes(short));
}

/** Who answered `n` fresh connections to the host port from 127.0.0.1. */
async function countLocal(n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = await getOnce('127.0.0.1', hostPort);
    seen[name] = (seen[name] ?? 0) + 1;
  }
  return seen;
}

/** Who answered `n` connections from another network namespace, to the host's address there. */
function countFromWorld(n: number): Record<string, number> {
  const script = `for i in $(seq ${n}); do timeout 10 /bin/busybox wget -qO- http://${world.hostIp}:${hostPort}/; echo; done`;
  const out = execFileSync('ip', ['netns', 'exec', world.ns, '/bin/sh', '-c', script], { encoding: 'utf8' });
  const seen: Record<string, number> = {};
  for (const name of out.split('\n').filter(Boolean)) seen[name] = (seen[name] ?? 0) + 1;
  return seen;
}

const names = (seen: Record<string, number>) => Object.keys(seen).sort();

test.before(async () => {
  await ensureNetwork();
  short = dataPathShort(homePaths().root, owner);
  world = await createWorld([8001], [53]);
  for (const name of ['b1', 'b2', 'b3']) backends.push(await startBackend(name));
  hostPort = await reserveHostPort(owner);
});

test.after(async () => {
  await removeDataPath(owner).catch(() => undefined);
  await releaseHostPort(owner).catch(() => undefined);
  for (const backend of backends) await backend.destroy();
  await world?.destroy();
});

const of = (...picked: number[]) => picked.map((i) => ({ ip: backends[i]!.ip, port: backends[i]!.port }));

test('1, 2 and 3 backends share new connections from 127.0.0.1 and from another namespace', async () => {
  await setBackends(owner, hostPort, of(0));
  assert.equal(await countLocal(10), { b1: 10 });
  assert.equal(countFromWorld(5), { b1: 5 });
  await setBackends(owner, hostPort, of(0, 1));
  assert.equal(names(await countLocal(40)), ['b1', 'b2']);
  await setBackends(owner, hostPort, of(0, 1, 2));
  // (2/3)^60 that one backend gets nothing: a missing name here is a bug, not bad luck.
  assert.equal(names(await countLocal(60)), ['b1', 'b2', 'b3']);
  assert.equal(names(countFromWorld(60)), ['b1', 'b2', 'b3']);
});

test('taking a backend out stops its share; the same set twice writes the same rules', async () => {
  await setBackends(owner, hostPort, of(0, 2));
  const rules = ownLines();
  await setBackends(owner, hostPort, of(2, 0));
  assert.equal(ownLines(), rules, 'idempotent, order-independent');
  const seen = await countLocal(40);
  assert.equal(names(seen), ['b1', 'b3']);
});

test('no backend: connections are refused at once, from 127.0.0.1 and from another namespace', async () => {
  await setBackends(owner, hostPort, []);
  // Even a process listening on the host port itself gets nothing: the port belongs to the data path.
  const squatter = createServer((socket) => socket.end('HTTP/1.0 200 OK\r\n\r\nsquatter'));
  // A listener some other process already holds on the port proves the same point as ours.
  const squatting = await new Promise<boolean>((resolve, reject) => {
    squatter.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(false) : reject(e)));
    squatter.listen(hostPort, '0.0.0.0', () => resolve(true));
  });
  try {
    const error = await getOnce('127.0.0.1', hostPort).then(
      (body) => new Error(`answered: ${body}`),
      (e: NodeJS.ErrnoException) => e,
    );
    assert.is((error as NodeJS.ErrnoException).code, 'ECONNREFUSED', error.message);
    const probe = spawnSync('ip', ['netns', 'exec', world.ns, 'timeout', '10', '/bin/busybox', 'wget', '-qO-', `http://${world.hostIp}:${hostPort}/`], { encoding: 'utf8' });
    assert.match(probe.stderr, /refused/i);
  } finally {
    if (squatting) await new Promise((resolve) => squatter.close(resolve));
  }
});

test('the rules outlive the process that wrote them', async () => {
  const child = `
const { setBackends } = await import(${JSON.stringify(new URL('../../../src/network/index.ts', import.meta.url).pathname)});
await setBackends(process.argv[1], Number(process.argv[2]), JSON.parse(process.argv[3]));
`;
  execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child, owner, String(hostPort), JSON.stringify(of(1))], { stdio: 'inherit' });
  assert.equal(await countLocal(5), { b2: 5 });
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'accepted',
    (error: Error) => error.message,
  );
}

test('refused: a port another owner holds or nobody reserved, and backends that are not containers', async () => {
  const other = uniqueName('dpother');
  const port = await reserveHostPort(other);
  try {
    assert.match(await refusal(setBackends(owner, port, of(0))), `host port ${port} is reserved by ${other}`);
  } finally {
    await releaseHostPort(other);
  }
  assert.match(await refusal(setBackends(owner, port, of(0))), `host port ${port} is not reserved`);
  // A host port must not become a way in to the host's own services or to other networks.
  for (const ip of ['127.0.0.1', world.hostIp, world.ips[0]!]) {
    assert.match(await refusal(setBackends(owner, hostPort, [{ ip, port: 22 }])), `backend ip "${ip}" is not valid`);
  }
  assert.equal(await countLocal(2), { b2: 2 }, 'a refused call leaves the data path as it was');
});

test('removeDataPath leaves iptables as before; gc removes the data path of an owner that is gone', async () => {
  await removeDataPath(owner);
  const before = savedState();
  assert.equal(ownLines(), []);
  await setBackends(owner, hostPort, of(0, 1));
  assert.ok(ownLines().length > 0);
  await removeDataPath(owner);
  await removeDataPath(owner);
  assert.equal(savedState(), before);

  await setBackends(owner, hostPort, of(0));
  // Still reserved: gc keeps it.
  assert.equal((await gcNetwork(backendsAlive())).dataPaths, []);
  assert.equal(await countLocal(3), { b1: 3 });
  await releaseHostPort(owner);
  const report = await gcNetwork(backendsAlive());
  assert.equal(report.dataPaths, [`DROPSHIP-DP-${short}`]);
  assert.equal(ownLines(), []);
  hostPort = await reserveHostPort(owner, hostPort);
});

/** Every lease of the shared test store counts as alive: gc must only judge data paths here. */
function backendsAlive(): string[] {
  const leases = JSON.parse(execFileSync('cat', [`${homePaths().network}/leases.json`], { encoding: 'utf8' })) as { leases: Record<string, unknown> };
  return Object.keys(leases.leases);
}

test.run();
