import '../../helpers/env.js';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isRoot, TEST_HOME, uniqueName } from '../../helpers/env.js';
import { eventually, leaseShorts, leftovers } from '../app/helpers.js';
import { bp, CNB_APPS } from '../cnb/helpers.js';
import { releaseFromApp } from '../../../src/kube/index.js';
import { dropship, get, pushJson, removePushed, type PushJson } from './helpers.js';

// A CNB app with two launch.toml process types (fixtures/cnb/buildpacks/processes), pushed through
// the real CLI: every type is a process of the app, each run by the image's launcher.
// A store of its own, with its own daemon: the daemon decides how an instance is started, and the
// shared store's may be another checkout's. Its tiny stack is the shared one's, copied (no rebuild).
const sharedHome = process.env.DROPSHIP_HOME!;
let home = '';
const name = uniqueName('cnbp');
const skip = isRoot ? '' : 'needs root for runc';
let source = '';

interface PsApp { processes: Array<{ type: string; instances: number; running: number; healthCheck: { type: string } }>; instances: Array<{ process: string; index: number; state: string }> }
const psApp = async (): Promise<PsApp> => JSON.parse((await dropship('ps', name, '--json')).stdout)[0] as PsApp;
const push = (...args: string[]) => pushJson(source, '--name', name, '-b', bp('processes'), '-s', 'tiny', '-m', '64M', ...args) as Promise<PushJson>;

async function seedTiny(from: string, to: string): Promise<void> {
  const info = JSON.parse(await readFile(join(from, 'stacks/tiny.json'), 'utf8')) as { digest: string };
  await mkdir(join(to, 'oci/blobs/sha256'), { recursive: true });
  await cp(join(from, 'oci/blobs/sha256', info.digest.slice('sha256:'.length)), join(to, 'oci/blobs/sha256', info.digest.slice('sha256:'.length)));
  await cp(join(from, 'stacks'), join(to, 'stacks'), { recursive: true, filter: (src) => !src.includes('bookworm') });
}

test.before(async () => {
  home = await mkdtemp('/var/tmp/dropship-cnbp-');
  await chmod(home, 0o755);
  if (!skip) await seedTiny(TEST_HOME, home);
  process.env.DROPSHIP_HOME = home;
  source = await mkdtemp(join(TEST_HOME, 'tmp', 'cnbp-src-'));
  await cp(join(CNB_APPS, 'hello'), source, { recursive: true });
});

test.after(async () => {
  const shorts = await leaseShorts(name).catch(() => [] as string[]);
  await removePushed(name);
  await rm(source, { recursive: true, force: true });
  const left = skip ? [] : await leftovers(name, shorts);
  // The store's daemon goes with the store.
  if (!skip) await dropship('daemon', 'stop');
  await rm(home, { recursive: true, force: true });
  process.env.DROPSHIP_HOME = sharedHome;
  assert.equal(left, [], 'the app left nothing behind');
});

test('platform.md "launcher": push runs every CNB process type as a process of the app; web (the default) on the host port, direct, without profile.d', async () => {
  if (skip) return console.log(`skip: ${skip}`);
  const summary = await push();
  assert.equal(summary.processes.map((p) => [p.type, p.healthy, p.requested]), [['web', 1, 1], ['worker', 0, 0]], 'non-web types start with 0 instances, as for V2 apps');
  assert.is(await get(`${summary.url!}/info.txt`), 'type=web profile=unset\n');
  const releases = JSON.parse((await dropship('releases', name, '--json')).stdout) as Array<{ processes: Array<{ type: string; instances: number; command?: string }> }>;
  assert.equal(releases.at(-1)!.processes.map((p) => [p.type, p.instances, p.command]), [['web', 1, undefined], ['worker', 0, undefined]], 'both run as /cnb/process/<type>');
});

test('scale --process worker: /cnb/process/worker runs with its command array and default args, quoting intact, logs tagged WORKER', async () => {
  if (skip) return console.log(`skip: ${skip}`);
  const scale = await dropship('scale', name, '--process', 'worker', '-i', '1');
  assert.is(scale.exitCode, 0, scale.stderr);
  await eventually(async () => (await psApp()).instances.some((i) => i.process === 'worker' && i.state === 'running'), 'a running worker');
  const logs = await eventually(async () => {
    const out = (await dropship('logs', name, '--recent')).stdout;
    return out.includes('[APP/PROC/WORKER/0] OUT worker <two  words> <it\'s>') && out;
  }, 'the worker logging');
  assert.ok(logs.includes('[APP/PROC/WORKER/0]'));
});

test('push -c CMD: web runs CMD through /cnb/lifecycle/launcher (the shell strategy: profile.d applies); the worker keeps its count', async () => {
  if (skip) return console.log(`skip: ${skip}`);
  const summary = await push('-c', 'mkdir -p /tmp/www && echo "type=cmd profile=$PROFILE_GREETING" >/tmp/www/info.txt && exec httpd -f -p "$PORT" -h /tmp/www');
  assert.equal(summary.processes.map((p) => [p.type, p.healthy, p.requested]), [['web', 1, 1], ['worker', 1, 1]]);
  assert.is(await get(`${summary.url!}/info.txt`), 'type=cmd profile=from-profile\n');
});

test('dropship kube: the CNB types keep their launcher entry points (/cnb/process/<type>, a command through /cnb/lifecycle/launcher)', async () => {
  if (skip) return console.log(`skip: ${skip}`);
  const { release } = await releaseFromApp(name);
  assert.equal(release.processes.map((p) => [p.type, p.entrypoint, p.command]), [
    ['web', ['/cnb/lifecycle/launcher'], 'mkdir -p /tmp/www && echo "type=cmd profile=$PROFILE_GREETING" >/tmp/www/info.txt && exec httpd -f -p "$PORT" -h /tmp/www'],
    ['worker', ['/cnb/process/worker'], undefined],
  ]);
});

test('run-task: a one-off command through /cnb/lifecycle/launcher (the shell strategy), not the default process', async () => {
  if (skip) return console.log(`skip: ${skip}`);
  const task = await dropship('run-task', name, '--', 'echo "task profile=$PROFILE_GREETING"; exit 3');
  assert.is(task.exitCode, 3, task.stderr);
  assert.match(task.stdout, 'task profile=from-profile');
});

test("manifest processes: a command overrides a CNB type's process, a type the image lacks without a command is refused before anything changes", async () => {
  if (skip) return console.log(`skip: ${skip}`);
  await writeFile(join(source, 'manifest.yml'), [
    'applications:',
    `- name: ${name}`,
    '  processes:',
    '  - type: worker',
    '    instances: 1',
    '    command: while :; do echo "manifest worker $PROFILE_GREETING"; sleep 5; done',
    '',
  ].join('\n'));
  const summary = await push();
  assert.equal(summary.processes.map((p) => [p.type, p.healthy, p.requested]), [['web', 1, 1], ['worker', 1, 1]]);
  await eventually(async () => (await dropship('logs', name, '--recent')).stdout.includes('[APP/PROC/WORKER/0] OUT manifest worker from-profile'), 'the manifest worker logging');
  await writeFile(join(source, 'manifest.yml'), ['applications:', `- name: ${name}`, '  processes:', '  - type: mailer', '    instances: 1', ''].join('\n'));
  const refused = await dropship('push', source, '--name', name, '-b', bp('processes'), '-s', 'tiny', '-m', '64M');
  assert.is(refused.exitCode, 1);
  assert.match(refused.stderr, "error: process type 'mailer' of");
  await rm(join(source, 'manifest.yml'));
});

test.run();
