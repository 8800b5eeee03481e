import '../../helpers/env.js';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isRoot, uniqueName } from '../../helpers/env.js';
import { leaseShorts } from '../app/helpers.js';
import { dropship, FIXTURES, get, pushJson, removePushed, type PushJson } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const SITE = join(FIXTURES, 'static-site');
const NEVER = 'echo "never listening"; exec sleep 1000';
const failing = uniqueName('af-fail');
/** listr2 colours its marks when the test runner's env asks for colour. */
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');
const fresh = uniqueName('af-new');
const serving = uniqueName('af-roll');

interface Instance {
  index: number;
  guid: string;
  state: string;
  release?: number;
  containerId?: string;
  ip?: string;
}

async function ps(app: string): Promise<{ state: string; release: number; hostPort: number; instances: Instance[] }> {
  const result = await dropship('ps', app, '--json');
  assert.is(result.exitCode, 0, result.stderr);
  return JSON.parse(result.stdout)[0];
}

/**
 * `dropship push …` that gets a real SIGINT once it has printed `marker` (the new instance's
 * first line: the start phase is waiting for it to become healthy). What the new instance was
 * (container, address) is read from the host while it waits.
 */
async function pushInterrupted(app: string, marker: string, ...args: string[]): Promise<{ exitCode: number; output: string; starting?: Instance }> {
  const child = execa(process.execPath, ['--import', 'tsx', MAIN, 'push', '-p', SITE, '--name', app, '-s', 'tiny', '-m', '64M', ...args], {
    reject: false,
    all: true,
    env: process.env,
    timeout: 300_000,
  });
  let output = '';
  let starting: Instance | undefined;
  const seen = new Promise<void>((resolve) => {
    child.all!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(marker)) resolve();
    });
  });
  await Promise.race([seen, child]);
  if (output.includes(marker)) {
    starting = (await ps(app)).instances.find((i) => i.state === 'starting');
    child.kill('SIGINT');
  }
  const result = await child;
  return { exitCode: result.exitCode ?? -1, output: plain(String(result.all)), starting };
}

/** Nothing of `instance` is left on the host: its container, its lease, its address in a DNAT rule. */
async function assertGone(app: string, hostPort: number, instance: Instance | undefined): Promise<void> {
  assert.ok(instance?.containerId && instance.ip, `the new instance was seen while it started: ${JSON.stringify(instance)}`);
  const runc = await execa('runc', ['state', instance!.containerId!], { reject: false });
  assert.is.not(runc.exitCode, 0, `container ${instance!.containerId} is gone from runc`);
  const { readFile } = await import('node:fs/promises');
  const { homePaths } = await import('../../../src/home.js');
  const leases = await readFile(join(homePaths().network, 'leases.json'), 'utf8');
  assert.not.ok(leases.includes(instance!.containerId!), 'its lease is released');
  assert.not.ok((await dnatTargets(hostPort)).includes(`${instance!.ip}:8080`), 'no DNAT rule of the app sends traffic to it');
  assert.ok((await leaseShorts(app)).length <= 1, 'at most the previous instance holds a lease');
}

/** Where the kernel data path of host port `hostPort` sends connections (the app's DNAT chain). */
async function dnatTargets(hostPort: number): Promise<string[]> {
  const rules = String((await execa('iptables-save', ['-t', 'nat'])).stdout).split('\n');
  const chains = new Set(rules.flatMap((r) => (r.includes(`--dport ${hostPort} `) ? [/-j (DROPSHIP-DP-\S+)/.exec(r)?.[1] ?? []].flat() : [])));
  return rules.flatMap((r) => {
    const chain = /^-A (\S+) /.exec(r)?.[1];
    const to = /--to-destination (\S+)/.exec(r)?.[1];
    return chain && to && chains.has(chain) ? [to] : [];
  });
}

test.after(async () => {
  for (const app of [failing, fresh, serving]) await removePushed(app);
});

test('a start that never listens streams its states and lines, ends ✖ (never ✔), shows the last lines and says nothing listened on $PORT', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const push = await dropship('push', '-p', SITE, '--name', failing, '-s', 'tiny', '-m', '64M', '-c', NEVER, '-t', '3');
  const output = plain(push.stdout + push.stderr);
  assert.is(push.exitCode, 1, output);
  assert.match(output, 'instance 0 (release 1): starting');
  assert.match(output, '[APP/PROC/WEB/0] OUT never listening');
  assert.match(output, '[HEALTH/0] ERR Failed after 3s: startup health check never passed.');
  assert.match(output, /✖ Start failed: web 0\/1 healthy/);
  assert.not.match(output, /✔ Start/, 'the start phase is never shown as done');
  assert.match(output, `✖ ${failing} web: 0/1 instance(s) healthy: nothing listened on $PORT (8080) within 3s`);
  assert.match(output, new RegExp(`last lines of ${failing} web:\\n  \\[APP/PROC/WEB/0\\] OUT never listening\\n`));
  assert.match(push.stderr, `error: not every requested instance of '${failing}' became healthy: nothing listened on $PORT (8080) within 3s`);
  const restart = await dropship('restart', failing);
  assert.is(restart.exitCode, 1, restart.stderr);
  assert.match(restart.stderr, /instance 0 \(release 1\): starting/);
  assert.match(restart.stderr, `✖ ${failing}: 0/1 instance(s) healthy: nothing listened on $PORT (8080) within 3s`);
  assert.not.match(restart.stderr, '✔');
  assert.match(restart.stderr, `error: not every instance of '${failing}' became healthy: nothing listened on $PORT (8080)`);
  assert.is((await dropship('stop', failing)).exitCode, 0);
});

test('Ctrl-C while a new app starts: exit 130 at once, the app registered and stopped, nothing of its instance left', async () => {
  if (!isRoot) return;
  const push = await pushInterrupted(fresh, 'never listening', '-c', NEVER, '-t', '120');
  assert.is(push.exitCode, 130, push.output);
  assert.match(push.output, `error: stopped waiting for '${fresh}' to start (Ctrl-C): it is stopped, on release 1`);
  assert.not.match(push.output, '✔ Start');
  const after = await ps(fresh);
  assert.is(after.state, 'stopped');
  assert.equal(after.instances, []);
  await assertGone(fresh, after.hostPort, push.starting);
  assert.equal(await dnatTargets(after.hostPort), [], 'a stopped app has no data path');
  assert.equal(await leaseShorts(fresh), []);
});

test('Ctrl-C while a new release of a serving app starts: exit 130, back on the previous release, its instance serving throughout, nothing of the new one left', async () => {
  if (!isRoot) return;
  const first = (await pushJson('-p', SITE, '--name', serving, '-s', 'tiny', '-m', '64M')) as PushJson;
  assert.is(first.state, 'running');
  const [before] = (await ps(serving)).instances;
  const rolling = await pushInterrupted(serving, 'never listening', '--strategy', 'rolling', '-c', NEVER, '-t', '120');
  assert.is(rolling.exitCode, 130, rolling.output);
  assert.match(rolling.output, `error: stopped waiting for release 2 of '${serving}' (Ctrl-C): it is back on release 1`);
  const releases = JSON.parse((await dropship('releases', serving, '--json')).stdout) as Array<{ version: number; current: boolean }>;
  assert.equal(releases.map((r) => [r.version, r.current]), [[1, true], [2, false]], 'the current release is the previous one');
  const after = await ps(serving);
  assert.is(after.release, 1);
  assert.equal(after.instances.map((i) => [i.guid, i.state, i.release]), [[before!.guid, 'running', 1]], 'the previous instance serves on, alone');
  assert.match(await get(`${first.url}/`), 'Hello from a static site');
  await assertGone(serving, after.hostPort, rolling.starting);
  assert.equal(await dnatTargets(after.hostPort), [`${before!.ip}:8080`], 'the data path sends everything to the previous instance');
  const events = JSON.parse((await dropship('events', serving, '--json')).stdout) as Array<{ type: string; message: string }>;
  assert.ok(events.some((e) => e.type === 'release-cancelled' && e.message === 'release 2 cancelled while it started (Ctrl-C); back on release 1'));

  // The default strategy stops the old instances first: Ctrl-C puts release 1 back and starts it again.
  const replace = await pushInterrupted(serving, 'never listening', '-c', NEVER, '-t', '120');
  assert.is(replace.exitCode, 130, replace.output);
  assert.match(replace.output, `error: stopped waiting for release 3 of '${serving}' (Ctrl-C): it is back on release 1, starting again`);
  await assertGone(serving, after.hostPort, replace.starting);
  const back = await dropship('start', serving);
  assert.is(back.exitCode, 0, back.stderr);
  assert.match(back.stderr, `✔ ${serving}: 1/1 instance(s) healthy`);
  assert.equal((await ps(serving)).instances.map((i) => [i.state, i.release]), [['running', 1]]);
  assert.match(await get(`${first.url}/`), 'Hello from a static site');
});

test.run();
