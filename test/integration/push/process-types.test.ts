import '../../helpers/env.js';
import { lstat, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appPaths, ensureAppDir, writeAppSpec, type AppSpec } from '../../../src/apps/state.js';
import { listImages } from '../../../src/oci/index.js';
import { imageTag } from '../../../src/push/index.js';
import { isRoot, TEST_HOME, uniqueName } from '../../helpers/env.js';
import { eventually, leaseShorts, leftovers } from '../app/helpers.js';
import { alive, killDaemon9, pidFile } from '../daemon/helpers.js';
import { dropship, FIXTURES, get, pushJson, removePushed, type PushJson } from './helpers.js';

// procfile-app on tiny: `web` is busybox httpd, `worker` a shell loop printing a line every 5 s.
// Each process type is a process of the one app (Cloud Foundry v3), driven through the real CLI.
const name = uniqueName('pt');
const oldWorker = `${name}-worker`;
const skip = isRoot ? '' : 'needs root for runc';

interface PsInstance { process: string; index: number; state: string; restarts: number; containerId: string; pid: number; ip: string; release: number }
interface PsApp { processes: Array<{ type: string; instances: number; running: number; healthCheck: { type: string } }>; instances: PsInstance[]; hostPort: number }

async function psApp(): Promise<PsApp> {
  const ps = await dropship('ps', name, '--json');
  assert.is(ps.exitCode, 0, ps.stderr);
  return JSON.parse(ps.stdout)[0] as PsApp;
}

const byKey = (list: PsInstance[]) => [...list].sort((a, b) => `${a.process}/${a.index}`.localeCompare(`${b.process}/${b.index}`));
const workers = async () => byKey((await psApp()).instances.filter((i) => i.process === 'worker'));

/** The labels a container was created with, as runc reports its annotations. */
async function labelsOf(containerId: string): Promise<Record<string, string>> {
  const { annotations } = JSON.parse((await execa('runc', ['state', containerId])).stdout) as { annotations?: Record<string, string> };
  const prefix = 'io.dropship.label.';
  return Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

test.after(async () => {
  await rm(appPaths(oldWorker).dir, { recursive: true, force: true });
  await removePushed(name);
});

test('the old layout (a process type run as the app APP-TYPE on the same image) is refused before anything changes', async () => {
  if (skip) return console.log(`skip: ${skip}`);
  // What a push before this change left for the worker: an app of its own with one process.
  await ensureAppDir(oldWorker);
  const old = {
    name: oldWorker, id: 'old', hostPort: 1, createdAt: new Date().toISOString(), release: 1, image: imageTag(name), imageDigest: `sha256:${'0'.repeat(64)}`,
    processType: 'worker', instances: 1, memoryBytes: 64 << 20, diskBytes: 1 << 30, healthCheck: { type: 'process', endpoint: '/', startTimeoutMs: 60_000 },
    env: {}, services: {}, containerPort: 8080, stopTimeoutMs: 10_000,
  };
  await writeAppSpec(old as unknown as AppSpec);
  const push = await dropship('push', join(FIXTURES, 'procfile-app'), '--name', name, '-s', 'tiny', '-m', '64M');
  assert.is(push.exitCode, 1);
  assert.match(push.stderr, `error: '${oldWorker}' run process types of '${name}' as separate apps`);
  assert.match(push.stderr, `hint: delete them (\`dropship delete ${oldWorker}\`) and push again`);
  assert.is((await dropship('ps', name)).exitCode, 1, 'no app was made');
  await rm(appPaths(oldWorker).dir, { recursive: true, force: true });
});

test('push: web 1/1 and worker 0/0, one release with both; only web behind the host port', async () => {
  if (skip) return console.log(`skip: ${skip}`);
  const summary = (await pushJson(join(FIXTURES, 'procfile-app'), '--name', name, '-s', 'tiny', '-m', '64M')) as PushJson;
  assert.equal(summary.processes.map((p) => [p.type, p.healthy, p.requested]), [['web', 1, 1], ['worker', 0, 0]]);
  assert.match(await get(`${summary.url!}/`), /./, 'web answers on the host port');
  const text = (await dropship('ps', name)).stdout;
  assert.match(text, new RegExp(`${name}\\s+started\\s+web 1/1, worker 0/0\\s`));
  assert.match(text, new RegExp(`${name}\\s+web\\s+0\\s+running`));
  const releases = JSON.parse((await dropship('releases', name, '--json')).stdout) as Array<{ processes: Array<{ type: string; instances: number; command?: string; healthCheck: { type: string } }>; imageDigest: string }>;
  const last = releases.at(-1)!;
  assert.equal(last.processes.map((p) => [p.type, p.instances, p.healthCheck.type, p.command]), [
    ['web', 1, 'port', undefined],
    ['worker', 0, 'process', `./worker.sh --name "two words" --sep=':'`],
  ]);
  assert.is(last.imageDigest, summary.digest);
});

test('scale --process worker -i 2: two workers with a process check, not in the data path, logs tagged WORKER, labelled app + process + index', async () => {
  if (skip) return console.log(`skip: ${skip}`);
  const scale = await dropship('scale', name, '--process', 'worker', '-i', '2');
  assert.is(scale.exitCode, 0, scale.stderr);
  const running = await eventually(async () => {
    const list = await workers();
    return list.length === 2 && list.every((i) => i.state === 'running') && list;
  }, 'two running workers');
  const app = await psApp();
  assert.equal(app.processes.map((p) => [p.type, p.running, p.instances, p.healthCheck.type]), [['web', 1, 1, 'port'], ['worker', 2, 2, 'process']]);
  // The host port's DNAT names the web instance only.
  const rules = String((await execa('iptables-save', ['-t', 'nat'])).stdout);
  const web = app.instances.find((i) => i.process === 'web')!;
  assert.match(rules, `--to-destination ${web.ip}:8080`);
  for (const w of running) assert.not.match(rules, `--to-destination ${w.ip}:`, `worker ${w.index} gets no host port`);
  for (const w of running) {
    const labels = await labelsOf(w.containerId);
    assert.equal([labels['dropship.app'], labels['dropship.process'], labels['dropship.instance']], [name, 'worker', String(w.index)]);
  }
  const logs = await eventually(async () => {
    const out = (await dropship('logs', name, '--recent')).stdout;
    return out.includes('[APP/PROC/WORKER/1] OUT worker --name two words --sep=:') && out;
  }, 'both workers logging');
  assert.match(logs, '[APP/PROC/WORKER/0] OUT worker --name two words --sep=:');
  // Inside a worker (ssh --process): its own process type, and the container port, not the host's.
  const ssh = await dropship('ssh', name, '--process', 'worker', '-i', '1', '-c', 'echo "$CF_INSTANCE_PORT $INSTANCE_INDEX"; echo "$VCAP_APPLICATION"');
  assert.is(ssh.exitCode, 0, ssh.stderr);
  const [ports, vcap] = ssh.stdout.trim().split('\n');
  assert.is(ports, '8080 1');
  assert.is(JSON.parse(vcap!).process_type, 'worker');
  const webSsh = await dropship('ssh', name, '-c', 'echo "$CF_INSTANCE_PORT"');
  assert.is(webSsh.stdout.trim(), String(app.hostPort), 'web is the one on the host port');
  const releases = JSON.parse((await dropship('releases', name, '--json')).stdout) as Array<{ reason: string; processes: Array<{ type: string; instances: number }> }>;
  assert.is(releases.at(-1)!.reason, 'scale worker: instances 2');
  assert.equal(releases.at(-1)!.processes.map((p) => [p.type, p.instances]), [['web', 1], ['worker', 2]]);
  const unknown = await dropship('scale', name, '--process', 'mailer', '-i', '1');
  assert.is(unknown.exitCode, 1);
  assert.match(unknown.stderr, `error: app '${name}' has no process type 'mailer'`);
  assert.match(unknown.stderr, 'hint: its process types: web, worker');
});

test('kill -9 of the daemon: the next one adopts both workers and web without restarting them', async () => {
  if (skip) return console.log(`skip: ${skip}`);
  const before = byKey((await psApp()).instances);
  const dead = await killDaemon9();
  for (const i of before) assert.is(JSON.parse((await execa('runc', ['state', i.containerId])).stdout).status, 'running', `${i.process}/${i.index} runs on`);
  const after = byKey((await psApp()).instances); // a new daemon, which adopts
  const daemon = await pidFile();
  assert.ok(daemon !== undefined && daemon !== dead && alive(daemon), 'a new daemon runs');
  assert.equal(after.map((i) => [i.process, i.index, i.containerId, i.pid, i.restarts]), before.map((i) => [i.process, i.index, i.containerId, i.pid, 0]));
  await eventually(async () => (await psApp()).instances.every((i) => i.state === 'running'), 'adopted instances healthy');
  const events = JSON.parse((await dropship('events', name, '--json')).stdout) as Array<{ type: string }>;
  assert.ok(events.filter((e) => e.type === 'instance-adopt').length >= 3, 'web and both workers adopted');
  assert.not.ok(events.some((e) => e.type === 'crash'));
});

test('restart --rolling converges every process type onto the current release, one instance at a time', async () => {
  if (skip) return console.log(`skip: ${skip}`);
  const before = byKey((await psApp()).instances);
  const restart = await dropship('restart', name, '--rolling');
  assert.is(restart.exitCode, 0, restart.stderr);
  const after = byKey((await psApp()).instances);
  assert.equal(after.map((i) => [i.process, i.index, i.state]), [['web', 0, 'running'], ['worker', 0, 'running'], ['worker', 1, 'running']]);
  for (const [n, i] of after.entries()) assert.is.not(i.containerId, before[n]!.containerId, `${i.process}/${i.index} replaced`);
});

test('delete removes every process type: no container, lease, data path rule or app dir is left', async () => {
  if (skip) return console.log(`skip: ${skip}`);
  const app = await psApp();
  const shorts = await leaseShorts(name);
  const leases = JSON.parse(await readFile(join(TEST_HOME, 'network', 'leases.json'), 'utf8')) as { leases: Record<string, { app?: string; containerId: string }> };
  const held = Object.values(leases.leases).filter((l) => l.app === name).map((l) => l.containerId).sort();
  assert.equal(held, app.instances.map((i) => i.containerId).sort(), 'web and both workers hold a lease each');
  const ips = app.instances.map((i) => i.ip);
  const del = await dropship('delete', name);
  assert.is(del.exitCode, 0, del.stderr);
  assert.equal(await leftovers(name, shorts), []);
  const rules = String((await execa('iptables-save', ['-t', 'nat'])).stdout);
  for (const ip of ips) assert.not.match(rules, `--to-destination ${ip}:`);
  assert.not.match(rules, `--dport ${app.hostPort} `, 'the host port forwards nowhere');
  const ports = await readFile(join(TEST_HOME, 'network', 'host-ports.json'), 'utf8').catch(() => '');
  assert.not.match(ports, `app:${name}"`, 'the host port is released');
  const repository = imageTag(name).split(':')[0];
  assert.equal((await listImages()).filter((image) => image.name === repository), [], 'what push tagged for it is untagged');
  assert.is(await lstat(join(TEST_HOME, 'cache', name)).catch(() => undefined), undefined, 'its staging cache is gone');
});

test.run();
