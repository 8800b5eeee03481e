import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureAppDir, writeAppSpec, type AppSpec, type ProcessSpec } from '../../../src/apps/state.js';
import { releaseFromApp } from '../../../src/kube/from-app.js';
import { bindSecurityGroup, createSecurityGroup } from '../../../src/network/index.js';

const MiB = 1024 * 1024;
let home: string;
const saved = process.env.DROPSHIP_HOME;

const web: ProcessSpec = { type: 'web', instances: 2, memoryBytes: 256 * MiB, diskBytes: 1024 * MiB, healthCheck: { type: 'http', endpoint: '/h', startTimeoutMs: 59_500 } };
const worker: ProcessSpec = { type: 'worker', command: 'bin/worker', instances: 3, memoryBytes: 128 * MiB, diskBytes: 512 * MiB, healthCheck: { type: 'process', endpoint: '/', startTimeoutMs: 60_000 } };

function spec(name: string, overrides: Partial<AppSpec> = {}): AppSpec {
  return {
    name, id: `id-${name}`, image: 'dropship-apps/shop:latest', imageDigest: `sha256:${'a'.repeat(64)}`, release: 1, processes: [web],
    env: { A: '1' }, services: {}, hostPort: 61000, containerPort: 8080,
    stopTimeoutMs: 10_000, createdAt: '2026-01-01T00:00:00.000Z', ...overrides,
  };
}

test.before(async () => {
  home = await mkdtemp(join(tmpdir(), 'dropship-kube-from-app-'));
  process.env.DROPSHIP_HOME = home;
  for (const s of [
    spec('shop', { processes: [web, worker] }),
    spec('shop-admin', { image: 'dropship-apps/shop-admin:latest' }),
  ]) {
    await ensureAppDir(s.name);
    await writeAppSpec(s);
  }
  await createSecurityGroup('db', [{ protocol: 'tcp', destination: '10.0.0.5', ports: '5432' }]);
  await createSecurityGroup('everyone', [{ protocol: 'udp', destination: '0.0.0.0/0', ports: '53' }]);
  await createSecurityGroup('admins', [{ protocol: 'all', destination: '192.168.0.0/16' }]);
  await bindSecurityGroup('db', { kind: 'running', app: 'shop' });
  await bindSecurityGroup('everyone', { kind: 'running' });
  await bindSecurityGroup('admins', { kind: 'running', app: 'shop-admin' });
});

test.after(async () => {
  if (saved === undefined) delete process.env.DROPSHIP_HOME;
  else process.env.DROPSHIP_HOME = saved;
  await rm(home, { recursive: true, force: true });
});

test('every process type of the app, web first; another app named APP-… is not one of them', async () => {
  const { storeImage, storeDigest, release } = await releaseFromApp('shop');
  assert.is(storeImage, 'dropship-apps/shop:latest');
  assert.is(storeDigest, `sha256:${'a'.repeat(64)}`);
  assert.is(release.releaseVersion, 1);
  assert.equal(release.processes.map((p) => p.type), ['web', 'worker'], 'shop-admin is another app');
  assert.equal(release.processes[0], {
    type: 'web', instances: 2, memoryBytes: 256 * MiB, diskBytes: 1024 * MiB, healthCheck: { type: 'http', endpoint: '/h', timeoutSeconds: 60 }, stopTimeoutSeconds: 10,
  });
  assert.is(release.processes[1]!.command, 'bin/worker');
  assert.is(release.processes[1]!.instances, 3);
  assert.is(release.appId, 'id-shop');
  assert.equal(release.env, { A: '1' });
});

test('running groups bound globally or to the app; staging bindings and other apps left out', async () => {
  const { release } = await releaseFromApp('shop');
  const destinations = release.securityGroupRules.map((r) => r.destination).sort();
  assert.equal(destinations, ['0.0.0.0/0', '10.0.0.5']);
});

test('an unknown app: the usual error and hint', async () => {
  try {
    await releaseFromApp('nope');
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /no app named 'nope'/);
  }
});

test.run();
