import '../../helpers/env.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { homePaths } from '../../../src/home.js';
import { isRoot, uniqueName } from '../../helpers/env.js';
import { ensureTestImage } from './fixture.js';
import { dropship, httpGet, removeApp } from './helpers.js';

const app = uniqueName('af-fit');
let image = '';

/** The network room's lease file and this store's host-wide address claims (other stores' come and go), as on disk. */
async function leaseState(): Promise<{ leases: string; claims: string[] }> {
  const { readdir } = await import('node:fs/promises');
  const dir = '/run/dropship/network-claims';
  const claims: string[] = [];
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    const owner = await readFile(join(dir, entry), 'utf8').catch(() => '');
    if (entry.startsWith('ip-') && owner.includes(JSON.stringify(homePaths().root))) claims.push(entry);
  }
  return { leases: await readFile(join(homePaths().network, 'leases.json'), 'utf8').catch(() => ''), claims: claims.sort() };
}

interface PsApp {
  release: number;
  processes: Array<{ type: string; instances: number; memoryBytes: number }>;
  instances: Array<{ state: string; guid: string }>;
}

async function ps(): Promise<PsApp> {
  const result = await dropship('ps', app, '--json');
  assert.is(result.exitCode, 0, result.stderr);
  return JSON.parse(result.stdout)[0];
}

test.before(async () => {
  if (isRoot) image = await ensureTestImage();
});
test.after(async () => {
  if (isRoot) await removeApp(app);
});

test('scale -i 1000 is refused at once with the numbers and a hint; no lease taken, the app as it was', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const run = await dropship('run', image, '--name', app, '-d', '-m', '64M', '--json', '--stop-timeout', '2');
  assert.is(run.exitCode, 0, run.stderr);
  const hostPort = JSON.parse(run.stdout).hostPort as number;
  const before = await ps();
  const leases = await leaseState();
  const refused = await dropship('scale', app, '-i', '1000', '-m', '256M');
  assert.is(refused.exitCode, 1);
  assert.match(refused.stderr, new RegExp(`error: scale ${app}: 1000 × 256M = 250G of memory does not fit on this host \\(\\d`));
  assert.match(refused.stderr, /hint: ask for at most \d+ instance\(s\) of 256M/);
  assert.equal(await leaseState(), leases, 'the lease file and the address claims are as they were');
  const after = await ps();
  assert.is(after.release, before.release, 'no release was made');
  assert.equal(after.processes.map((p) => [p.type, p.instances, p.memoryBytes]), [['web', 1, 64 * 1024 * 1024]]);
  assert.equal(after.instances.map((i) => [i.guid, i.state]), before.instances.map((i) => [i.guid, 'running']), 'the same instance serves on');
  assert.is((await httpGet(hostPort)).body.trim(), 'instance 0');
  const releases = JSON.parse((await dropship('releases', app, '--json')).stdout) as unknown[];
  assert.is(releases.length, 1);
});

test('events record each release with its digest and each scale, old → new', async () => {
  if (!isRoot) return;
  const up = await dropship('scale', app, '-i', '2', '-m', '80M');
  assert.is(up.exitCode, 0, up.stderr);
  const events = JSON.parse((await dropship('events', app, '--json')).stdout) as Array<{ type: string; message: string }>;
  const digest = (await ps()) && JSON.parse((await dropship('releases', app, '--json')).stdout)[0].imageDigest as string;
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  const releases = events.filter((e) => e.type === 'release').map((e) => e.message);
  assert.is(releases.length, 2, releases.join('\n'));
  assert.ok(releases.every((m) => m.includes(`(image ${digest})`)), releases.join('\n'));
  assert.match(releases[1]!, 'release 2: scale web: instances 2, memoryBytes');
  const scales = events.filter((e) => e.type === 'scale').map((e) => e.message);
  assert.equal(scales, ['web: instances 1 → 2, memory 64M → 80M']);
  const table = await dropship('events', app);
  assert.match(table.stdout, 'web: instances 1 → 2, memory 64M → 80M');
});

test.run();
