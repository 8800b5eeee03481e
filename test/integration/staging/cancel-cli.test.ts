import '../../helpers/env.js';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isRoot, TEST_HOME } from '../../helpers/env.js';
import { isMounted, listContainers, unmount } from '../../../src/container/index.js';
import { homePaths } from '../../../src/home.js';
import { removeImage } from '../../../src/oci/index.js';
import { removeLabelledContainers } from '../../../src/sandbox/index.js';
import { hostNetworkState } from '../network/world.js';
import { CNB_APPS } from '../cnb/helpers.js';
import { APPS, BUILDPACKS, scratch } from './helpers.js';

/**
 * The installed CLI (dist/) gets a real SIGTERM or SIGINT while a buildpack runs, in both
 * lifecycles that share the staging sandbox: V2 (`dropship stage`) and CNB (`dropship build`).
 * Everything is asserted from the host: the exit code, and that nothing of the staging is left.
 */

const BIN = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));

let bpDir: string;

test.before(async () => {
  // A Cloud Native Buildpack whose bin/build never ends (with a child in the background).
  bpDir = await mkdtemp('/tmp/dropship-cancel-cnb-');
  await mkdir(join(bpDir, 'bin'));
  await writeFile(join(bpDir, 'buildpack.toml'), 'api = "0.10"\n[buildpack]\nid = "fixture/forever"\nversion = "0.1.0"\n');
  await writeFile(join(bpDir, 'bin', 'detect'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  await writeFile(join(bpDir, 'bin', 'build'), '#!/bin/sh\n(sleep 3600) &\necho "building forever"\nwhile :; do sleep 1; done\n', { mode: 0o755 });
  await chmod(bpDir, 0o755);
});

test.after(async () => {
  await rm(bpDir, { recursive: true, force: true });
});

/** The network namespace a process is in (`net:[inode]`), or undefined once it is gone. */
async function netnsOf(pid: number): Promise<string | undefined> {
  return readlink(`/proc/${pid}/ns/net`).catch(() => undefined);
}

/** Host processes still in that network namespace: none once the container is gone. */
async function processesIn(netns: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p)).map(Number);
  const inside: number[] = [];
  for (const pid of pids) if ((await netnsOf(pid)) === netns) inside.push(pid);
  return inside;
}

/**
 * Start the CLI, wait until the buildpack prints `line`, send `signal`; returns the exit (none
 * for SIGKILL) and what the staging container was while it ran (id, netns).
 */
async function interrupt(args: string[], name: string, line: string, signal: 'SIGTERM' | 'SIGINT' | 'SIGKILL') {
  const child = execa(process.execPath, [BIN, ...args], { reject: false, env: { CI: '1' } });
  let seen = '';
  const running = await new Promise<boolean>((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(line)) resolve(true);
    });
    // A staging that ends before its buildpack ran fails the test below instead of hanging it.
    void child.then(() => resolve(false));
  });
  assert.ok(running, `the command ended before its buildpack ran:\n${seen}`);
  const containers = (await listContainers()).filter((c) => c.labels.app === name);
  assert.is(containers.length, 1, 'one staging container runs');
  const container = containers[0]!;
  assert.ok(container.pid, 'it has an init');
  const netns = await netnsOf(container.pid!);
  assert.ok(netns, "its init's network namespace");
  assert.is.not(netns, await netnsOf(process.pid), 'a namespace of its own');
  const leases = await readFile(join(homePaths(TEST_HOME).network, 'leases.json'), 'utf8');
  assert.ok(leases.includes(container.id), 'it has a network lease while it runs');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  // The exit, not the end of its output: what a killed process left running may hold its pipes.
  await exited;
  if (signal === 'SIGKILL') {
    child.stdout!.destroy();
    child.stderr!.destroy();
    return { id: container.id, netns: netns! };
  }
  return { run: await child, id: container.id, netns: netns! };
}

/** Nothing of the staging container `id` of app `name` is left on the host. */
async function assertNothingLeft(name: string, id: string, netns: string): Promise<void> {
  const runc = String((await execa('runc', ['list', '-q'])).stdout).split('\n');
  assert.not.ok(runc.includes(id), 'runc still knows the container');
  assert.equal((await listContainers()).filter((c) => c.labels.app === name).map((c) => c.id), [], 'no container or bundle of the app');
  assert.not.ok(existsSync(join(homePaths(TEST_HOME).containers, id)), 'bundle removed');
  assert.equal(await processesIn(netns), [], 'no process left in its network namespace');
  assert.equal(hostNetworkState([id]), { links: [], routes: [], rules: [], claims: [] }, 'no ds-* veth, route, iptables rule or claim');
  const leases = await readFile(join(homePaths(TEST_HOME).network, 'leases.json'), 'utf8');
  assert.not.ok(leases.includes(id), 'lease released');
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  assert.not.ok(mounts.includes(id), 'no mount of the container');
  assert.not.ok(mounts.includes(`staging-${name}-`), 'no staging disk mounted');
  const work = (await readdir(homePaths(TEST_HOME).tmp)).filter((f) => f.startsWith(`staging-${name}-`));
  assert.equal(work, [], 'no work dir left');
}

/** What a failed assertion above left of app `name`, removed by name so the shared store stays clean. */
async function removeLeftovers(name: string): Promise<void> {
  await removeLabelledContainers('app', name);
  const tmp = homePaths(TEST_HOME).tmp;
  for (const dir of (await readdir(tmp)).filter((f) => f.startsWith(`staging-${name}-`))) {
    if (await isMounted(join(tmp, dir, 'disk'))) await unmount(join(tmp, dir, 'disk'));
    await rm(join(tmp, dir), { recursive: true, force: true });
  }
}

const cnbArgs = (name: string) => ['build', join(CNB_APPS, 'hello'), '-t', `${name}:v1`, '--stack', 'tiny', '--name', name, '--timeout', '2m', '-b', bpDir];
const CANCELLED = /^error: staging was cancelled; the staging container and its files were removed\nhint: /m;
const EXIT = { SIGINT: 130, SIGTERM: 143 };

/**
 * One case: `args` (for a fresh app name and scratch dir) is interrupted by `signal` once the
 * buildpack prints `line`; the command exits 128+signal with the cancelled error and leaves nothing.
 */
function cancelCase(title: string, c: { signal: 'SIGINT' | 'SIGTERM'; line: string; args: (name: string, out: string) => string[]; after?: (name: string, out: string) => Promise<void> }): void {
  test(title, async () => {
    if (!isRoot) return console.log('skip: needs root for runc and network namespaces');
    assert.ok(existsSync(BIN), 'build dist first: npm run build');
    const { out, name, cleanup } = await scratch(c.signal.toLowerCase());
    try {
      const { run, id, netns } = await interrupt(c.args(name, out), name, c.line, c.signal);
      assert.ok(run);
      assert.is(run.exitCode, EXIT[c.signal], `${run.stdout}\n${run.stderr}`);
      assert.match(String(run.stderr), CANCELLED);
      await assertNothingLeft(name, id, netns);
      await c.after?.(name, out);
    } finally {
      await removeLeftovers(name);
      await removeImage(`${name}:v1`).catch(() => undefined);
      await cleanup();
    }
  });
}

cancelCase('SIGTERM to `dropship stage` (V2) mid-build: exit 143, nothing left on the host', {
  signal: 'SIGTERM',
  line: '-----> Chatty',
  args: (name, out) => ['stage', join(APPS, 'heroku-chain-app'), '--stack', 'tiny', '--name', name, '--droplet', join(out, 'd.tgz'), '--timeout', '2m', '-b', join(BUILDPACKS, 'chatty')],
  after: async (_name, out) => {
    assert.not.ok(existsSync(join(out, 'd.tgz')), 'no droplet');
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as { error: { code: string; exit_code: number } };
    assert.equal([result.error.code, result.error.exit_code], ['STAGING_CANCELLED', 143]);
  },
});

cancelCase('Ctrl-C (SIGINT) to `dropship build` (CNB) mid-build: exit 130, nothing left on the host', {
  signal: 'SIGINT',
  line: 'building forever',
  args: cnbArgs,
  after: async (name) => {
    assert.not.ok(String((await execa(process.execPath, [BIN, 'image', 'ls'])).stdout).includes(name), 'no image made');
  },
});

cancelCase('SIGTERM to `dropship build` of V2 buildpacks (through a droplet): exit 143, nothing left on the host', {
  signal: 'SIGTERM',
  line: '-----> Chatty',
  args: (name) => ['build', join(APPS, 'heroku-chain-app'), '-t', `${name}:v1`, '--stack', 'tiny', '--name', name, '--timeout', '2m', '-b', join(BUILDPACKS, 'chatty')],
});

test('kill -9 of `dropship build` (CNB): the build is owned like a staging, and `dropship gc` removes all it left', async () => {
  if (!isRoot) return;
  const { name, cleanup } = await scratch('kill9');
  try {
    const { id, netns } = await interrupt(cnbArgs(name), name, 'building forever', 'SIGKILL');
    const left = (await listContainers()).filter((c) => c.labels.app === name);
    assert.equal(left.map((c) => c.id), [id], 'the killed build left its container running');
    assert.match(left[0]!.labels.owner ?? '', /^\d+:\d+$/, 'labelled with its owner process');
    const work = (await readdir(homePaths(TEST_HOME).tmp)).filter((f) => f.startsWith(`staging-${name}-`));
    assert.is(work.length, 1, 'and its work dir, where gc looks');
    const gc = await execa(process.execPath, [BIN, 'gc'], { reject: false });
    assert.is(gc.exitCode, 0, gc.stderr);
    assert.ok(gc.stdout.includes(`removed container ${id} (its owner process is gone)`), gc.stdout);
    assert.ok(gc.stdout.includes(`staging-${name}-`), gc.stdout);
    await assertNothingLeft(name, id, netns);
  } finally {
    await removeLeftovers(name);
    await cleanup();
  }
});

test.run();
