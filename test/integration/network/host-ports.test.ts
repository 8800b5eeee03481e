import { TEST_HOME, uniqueName } from '../../helpers/env.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLAIMS_DIR } from '../../../src/network/claims.js';
import { hostPortsPath } from '../../../src/network/host-ports.js';
import { hostPortOf, PORT_POOL_START, prepareNetwork, releaseHostPort, reserveHostPort, teardownNetwork } from '../../../src/network/index.js';

const app = uniqueName('hpapp');
const other = uniqueName('hpother');
const containers: string[] = [];
let squatter: Server | undefined;

test.after(async () => {
  for (const id of containers) await teardownNetwork(id).catch(() => undefined);
  await releaseHostPort(app).catch(() => undefined);
  await releaseHostPort(other).catch(() => undefined);
  await new Promise((resolve) => (squatter ? squatter.close(resolve) : resolve(undefined)));
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    (value) => `succeeded with ${JSON.stringify(value)}`,
    (error: Error) => error.message,
  );
}

test('an owner keeps one port; asking again gives the same one; the table is private and persistent', async () => {
  const port = await reserveHostPort(app);
  assert.ok(port >= PORT_POOL_START);
  assert.is(await reserveHostPort(app), port);
  assert.is(await hostPortOf(app), port);
  assert.is(statSync(hostPortsPath()).mode & 0o777, 0o600);
  // Another process (the daemon after a restart) sees the same reservation.
  const child = `const { hostPortOf } = await import(${JSON.stringify(new URL('../../../src/network/index.ts', import.meta.url).pathname)}); process.stdout.write(String(await hostPortOf(process.argv[1])));`;
  const seen = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child, app], { encoding: 'utf8', env: { ...process.env, DROPSHIP_HOME: TEST_HOME } });
  assert.is(seen, String(port));
});

test('a port another owner holds is refused with that owner named; the pool skips it', async () => {
  const port = (await hostPortOf(app))!;
  assert.match(await refusal(reserveHostPort(other, port)), `host port ${port} is already in use by ${app}`);
  const mine = await reserveHostPort(other);
  assert.is.not(mine, port);
  await releaseHostPort(other);
});

test('container leases come from the same table: neither an asked-for nor a pool port collides with an app', async () => {
  const port = (await hostPortOf(app))!;
  const asking = uniqueName('hpc');
  containers.push(asking);
  assert.match(await refusal(prepareNetwork({ containerId: asking, kind: 'running', ports: [{ host: port }] })), `host port ${port} is already in use by ${app}`);
  const pooled = uniqueName('hpc');
  containers.push(pooled);
  const network = await prepareNetwork({ containerId: pooled, kind: 'running', ports: [{}, {}] });
  const hosts = network.hostPorts.map((p) => p.host);
  assert.not.ok(hosts.includes(port));
  assert.match(await refusal(reserveHostPort(other, hosts[0])), `host port ${hosts[0]} is already in use by container:${pooled}`);
  await teardownNetwork(pooled);
  // Released with the lease: now the app may have it.
  assert.is(await reserveHostPort(other, hosts[0]), hosts[0]);
  await releaseHostPort(other);
});

test('a port something on the host is bound to is refused', async () => {
  squatter = createServer();
  await new Promise<void>((resolve) => squatter!.listen(0, '0.0.0.0', resolve));
  const port = (squatter.address() as { port: number }).port;
  assert.match(await refusal(reserveHostPort(other, port)), `host port ${port} is already in use on this host`);
});

test('another dropship store on the same host cannot take a reserved port', async () => {
  const port = (await hostPortOf(app))!;
  const otherHome = `${TEST_HOME}-hp-other`;
  mkdirSync(otherHome, { recursive: true, mode: 0o700 });
  const child = `const { reserveHostPort } = await import(${JSON.stringify(new URL('../../../src/network/index.ts', import.meta.url).pathname)});
try { await reserveHostPort('intruder', Number(process.argv[1])); process.stdout.write('took it'); } catch (e) { process.stdout.write(e.message); }`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child, String(port)], { encoding: 'utf8', env: { ...process.env, DROPSHIP_HOME: otherHome } });
  assert.match(out, `host port ${port} is already in use by another dropship store on this host`);
  execFileSync('rm', ['-rf', otherHome]);
});

test('moving and releasing: the old port and its host-wide claim are given back', async () => {
  const first = (await hostPortOf(app))!;
  const moved = await reserveHostPort(app, first + 1000 <= 65000 ? first + 1000 : first - 1000);
  assert.is(await hostPortOf(app), moved);
  assert.not.ok(existsSync(join(CLAIMS_DIR, `port-${first}`)), 'the old claim is gone');
  assert.ok(existsSync(join(CLAIMS_DIR, `port-${moved}`)));
  await releaseHostPort(app);
  await releaseHostPort(app);
  assert.is(await hostPortOf(app), undefined);
  assert.not.ok(existsSync(join(CLAIMS_DIR, `port-${moved}`)));
});

test.run();
