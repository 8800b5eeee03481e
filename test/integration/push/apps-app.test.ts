import '../../helpers/env.js';
import { readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isRoot, TEST_HOME, uniqueName } from '../../helpers/env.js';
import { eventually } from '../app/helpers.js';
import { dropship, FIXTURES, get, pushJson, removePushed, type PushJson } from './helpers.js';

// `dropship apps` and `dropship app APP` (cf apps / cf app) through the real CLI, on procfile-app
// (tiny: web is busybox httpd, worker a shell loop), checked against what the host shows: runc's
// state, the instance's cgroup files and its quota disk.
const name = uniqueName('av');
const skip = isRoot ? '' : 'needs root for runc';
let pushed: PushJson | undefined;
let setup = '';

interface AppInstance {
  process: string; index: number; state: string; since: string; uptimeSeconds: number; restarts: number; lastExit?: string;
  containerId: string; pid: number; memoryBytes: number; memoryLimitBytes: number; cpuNanos: number; diskUsedBytes: number; diskLimitBytes: number;
}
interface AppJson {
  name: string; state: string; url?: string; release: number; image: string; imageDigest: string; buildpacks?: string[];
  stack: { name: string; outdated: boolean }; processes: Array<{ type: string; running: number; instances: number }>; instances: AppInstance[];
}
interface AppsRow { name: string; state: string; processes: Array<{ type: string; running: number; instances: number }>; url: string | null; stack: { name: string; outdated: boolean }; release: number }

async function appJson(): Promise<AppJson> {
  const app = await dropship('app', name, '--json');
  assert.is(app.exitCode, 0, app.stderr);
  return JSON.parse(app.stdout) as AppJson;
}

async function appsRow(): Promise<AppsRow | undefined> {
  const apps = await dropship('apps', '--json');
  assert.is(apps.exitCode, 0, apps.stderr);
  return (JSON.parse(apps.stdout) as AppsRow[]).find((a) => a.name === name);
}

/** The v1 cgroup dir of `pid` for `controller`, as the host's kernel reports it. */
async function cgroupDir(pid: number, controller: string): Promise<string> {
  const line = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller))!;
  return `/sys/fs/cgroup/${controller}${line.split(':').slice(2).join(':')}`;
}

const hostNumber = async (file: string) => Number((await readFile(file, 'utf8')).trim());

test.before(async () => {
  if (skip) return;
  try {
    pushed = (await pushJson(join(FIXTURES, 'procfile-app'), '--name', name, '-s', 'tiny', '-m', '64M', '-k', '256M')) as PushJson;
    const scale = await dropship('scale', name, '--process', 'worker', '-i', '2');
    if (scale.exitCode !== 0) throw new Error(`scale: ${scale.stderr}`);
  } catch (error) {
    setup = (error as Error).message;
  }
});

test.after(async () => {
  await removePushed(name);
});

test('apps: one row per app with state, instances per process type, URL, stack and current release', async () => {
  if (skip) return console.log(`skip: ${skip}`);
  assert.ok(pushed, `setup failed: ${setup}`);
  const row = await eventually(async () => {
    const r = await appsRow();
    return r?.processes.every((p) => p.running === p.instances) && r;
  }, 'web 1/1, worker 2/2');
  const releases = JSON.parse((await dropship('releases', name, '--json')).stdout) as Array<{ version: number }>;
  assert.equal(row.processes, [{ type: 'web', running: 1, instances: 1 }, { type: 'worker', running: 2, instances: 2 }]);
  assert.is(row.state, 'started');
  assert.is(row.release, releases.at(-1)!.version, 'the current release (the scale made one after the push)');
  assert.is(row.url, pushed!.url!);
  assert.match(await get(`${row.url}/`), /./, 'the URL answers');
  assert.is(row.stack.name, 'tiny');
  assert.is(row.stack.outdated, false);
  const text = await dropship('apps');
  assert.is(text.exitCode, 0, text.stderr);
  assert.match(text.stdout, /^NAME\s+STATE\s+INSTANCES\s+URL\s+STACK\s+RELEASE\n/);
  assert.match(text.stdout, new RegExp(`\\n${name}\\s+started\\s+web 1/1, worker 2/2\\s+${row.url!.replace(/\./g, '\\.')}\\s+tiny\\s+${row.release}(?:\\n|$)`), text.stdout);
});

test("app --json: image, digest, the buildpacks that staged it, and each instance's pid, memory, CPU and disk as the host sees them", async () => {
  if (skip) return console.log(`skip: ${skip}`);
  assert.ok(pushed, `setup failed: ${setup}`);
  // 5M written into the web instance's writable layer: its quota disk must show them.
  const ssh = await dropship('ssh', name, '-c', 'head -c 5242880 /dev/zero > /tmp/blob');
  assert.is(ssh.exitCode, 0, ssh.stderr);
  const web = (await appJson()).instances.find((i) => i.process === 'web')!;
  const disk = join(TEST_HOME, 'containers', web.containerId, 'disk');
  const cpuDir = await cgroupDir(web.pid, 'cpuacct');
  const cpuBefore = await hostNumber(join(cpuDir, 'cpuacct.usage'));
  const app = await appJson();
  const cpuAfter = await hostNumber(join(cpuDir, 'cpuacct.usage'));
  const fs = await statfs(disk);

  assert.is(app.image, pushed!.image);
  assert.is(app.imageDigest, pushed!.digest);
  assert.ok(pushed!.buildpacks.length > 0, 'push reports the buildpacks that ran');
  assert.equal(app.buildpacks, pushed!.buildpacks, 'recorded in the release by the push');
  assert.is(app.url, pushed!.url);
  assert.equal(app.instances.map((i) => `${i.process}/${i.index}`), ['web/0', 'worker/0', 'worker/1']);
  for (const i of app.instances) {
    const state = JSON.parse((await execa('runc', ['state', i.containerId])).stdout) as { pid: number; status: string };
    assert.is(i.pid, state.pid, `${i.process}/${i.index}: the pid runc reports`);
    assert.is(state.status, 'running');
    assert.is(i.state, 'running');
    assert.is(i.restarts, 0);
    assert.is(i.lastExit, undefined);
    assert.ok(Date.parse(i.since) <= Date.now() && i.uptimeSeconds >= 0, i.since);
    const memory = await cgroupDir(i.pid, 'memory');
    assert.is(i.memoryLimitBytes, 64 * 1024 * 1024);
    assert.is(await hostNumber(join(memory, 'memory.limit_in_bytes')), i.memoryLimitBytes, 'the limit shown is the cgroup\'s');
    assert.ok(i.memoryBytes > 0 && i.memoryBytes <= i.memoryLimitBytes, `memory ${i.memoryBytes}`);
    assert.is(i.diskLimitBytes, 256 * 1024 * 1024);
    assert.ok(i.cpuNanos > 0, `${i.process}/${i.index} used CPU`);
  }
  const after = app.instances.find((i) => i.containerId === web.containerId)!;
  // The web instance is idle between requests: its memory holds still between the daemon's read and ours.
  const memoryNow = await hostNumber(join(await cgroupDir(web.pid, 'memory'), 'memory.usage_in_bytes'));
  assert.ok(Math.abs(after.memoryBytes - memoryNow) <= 2 * 1024 * 1024, `memory ${after.memoryBytes} against the cgroup's ${memoryNow}`);
  // CPU time only grows: what app read lies between two reads of the same cgroup file around it.
  assert.ok(after.cpuNanos >= cpuBefore && after.cpuNanos <= cpuAfter, `cpu ${after.cpuNanos} within [${cpuBefore}, ${cpuAfter}]`);
  assert.is(after.diskUsedBytes, (fs.blocks - fs.bfree) * fs.bsize, 'statfs of the instance\'s quota disk');
  assert.ok(after.diskUsedBytes >= 5 * 1024 * 1024, `the 5M written count: ${after.diskUsedBytes}`);
  assert.ok(fs.blocks * fs.bsize <= after.diskLimitBytes, 'the disk is the quota');

  const text = await dropship('app', name);
  assert.is(text.exitCode, 0, text.stderr);
  for (const [key, value] of [['name', name], ['state', 'started'], ['instances', 'web 1/1, worker 2/2'], ['url', pushed!.url!], ['stack', 'tiny'], ['release', String(app.release)], ['image', app.image], ['digest', app.imageDigest], ['buildpacks', app.buildpacks!.join(', ')]]) {
    assert.ok(text.stdout.includes(`\n${`${key}:`.padEnd(12)}${value}\n`) || text.stdout.startsWith(`${`${key}:`.padEnd(12)}${value}\n`), `${key}: ${value} in\n${text.stdout}`);
  }
  assert.match(text.stdout, /\nPROCESS\s+#\s+STATE\s+SINCE\s+RESTARTS\s+MEMORY\s+CPU\s+DISK\s+LAST EXIT\n/);
  assert.match(text.stdout, /\nweb\s+0\s+running\s+\S+\s+0\s+[\d.]+[BKM]\/64M\s+\d+\.\d\ds\s+[\d.]+M\/256M\s+-\n/);
});

test('stopped: apps and app say so, with no instances running', async () => {
  if (skip) return console.log(`skip: ${skip}`);
  assert.ok(pushed, `setup failed: ${setup}`);
  const stop = await dropship('stop', name);
  assert.is(stop.exitCode, 0, stop.stderr);
  const row = (await appsRow())!;
  assert.is(row.state, 'stopped');
  assert.equal(row.processes, [{ type: 'web', running: 0, instances: 1 }, { type: 'worker', running: 0, instances: 2 }]);
  const app = await appJson();
  assert.is(app.state, 'stopped');
  assert.equal(app.instances, []);
});

test('an unknown app, or a name that is not one: one error line with a hint, non-zero exit', async () => {
  for (const bad of [`${name}-nope`, '../etc']) {
    const app = await dropship('app', bad);
    assert.is(app.exitCode, 1, app.stdout);
    assert.is(app.stdout, '');
    const lines = app.stderr.trim().split('\n');
    assert.is(lines.length, 2, app.stderr);
    assert.match(lines[0]!, /^error: /);
    assert.match(lines[1]!, /^hint: /);
  }
  assert.match((await dropship('app', `${name}-nope`)).stderr, `error: no app named '${name}-nope'\nhint: start one with \`dropship run IMAGE --name APP\`; \`dropship apps\` lists the apps`);
});

test.run();
