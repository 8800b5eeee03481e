import '../../helpers/env.js';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isRoot, uniqueName } from '../../helpers/env.js';
import { listReleases } from '../../../src/apps/index.js';
import { openStore } from '../../../src/oci/index.js';
import { commitTinyApp, writeHttpdApp } from '../../helpers/tiny-app-image.js';
import { deployImage } from '../../../src/push/index.js';
import { buildStack, ensureStack } from '../../../src/stack/index.js';
import { dropship, httpGet, removeApp } from './helpers.js';

// A store of its own: this file rebuilds the tiny stack, which must not move the shared store's.
// Set for this suite only (uvu runs every test file in one process): before, and put back after.
let home = '';
const sharedHome = process.env.DROPSHIP_HOME;

const app = uniqueName('rel');
const TAG = `dropship-apps/${app}:latest`;
/** The mtime every file of the rebuilt stack gets (SOURCE_DATE_EPOCH of the rebuild). */
const REBUILT_EPOCH = 1_000_000_000;

/** The app image of `version` under the app's tag, as a push would tag it; returns its digest. */
async function buildVersion(version: string): Promise<string> {
  const work = await mkdtemp(join(home, 'image-'));
  try {
    await writeHttpdApp(join(work, 'app'), `${version} %s`);
    return await commitTinyApp(TAG, await ensureStack('tiny'), join(work, 'app'), { labels: { 'io.dropship.stack': 'tiny' } });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** GETs on fresh connections until stopped: every answer, and every request that failed. */
function pollClient(port: number) {
  let running = true;
  const answers = new Set<string>();
  const failures: string[] = [];
  let requests = 0;
  const done = (async () => {
    while (running) {
      requests++;
      try {
        const reply = await httpGet(port);
        if (reply.status === 200) answers.add(reply.body.trim().split(' ')[0]!);
        else failures.push(`HTTP ${reply.status}`);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  })();
  return async () => {
    running = false;
    await done;
    return { answers: [...answers].sort(), failures, requests };
  };
}

interface PsInstance { index: number; state: string; release: number; imageDigest: string; containerId: string }

async function instances(): Promise<PsInstance[]> {
  const ps = await dropship('ps', app, '--json');
  assert.is(ps.exitCode, 0, ps.stderr);
  return (JSON.parse(ps.stdout)[0].instances as PsInstance[]).sort((a, b) => a.index - b.index);
}

async function versionsServed(port: number, count = 6): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) seen.add((await httpGet(port)).body.trim().split(' ')[0]!);
  return [...seen].sort();
}

/** The mtime of /bin/busybox in the instance's root filesystem, read from the host through its init's /proc root. */
async function stackMtimeOf(containerId: string): Promise<number> {
  const state = JSON.parse((await execa('runc', ['state', containerId])).stdout) as { pid: number };
  return Math.round((await stat(`/proc/${state.pid}/root/bin/busybox`)).mtimeMs / 1000);
}

let hostPort = 0;
const digests: Record<string, string> = {};

test.before(async () => {
  home = await mkdtemp('/var/tmp/dropship-releases-');
  await chmod(home, 0o755);
  process.env.DROPSHIP_HOME = home;
});

test.after(async () => {
  if (isRoot) await removeApp(app).catch((error: Error) => console.error(`cleanup of ${app}: ${error.message}`));
  // The store's daemon goes with the store.
  if (isRoot) await dropship('daemon', 'stop');
  await rm(home, { recursive: true, force: true });
  process.env.DROPSHIP_HOME = sharedHome;
});

test('a new app is release 1, pinned to the digest of the image it was made from', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  digests.v1 = await buildVersion('v1');
  const deployed = await deployImage({ name: app, image: TAG, instances: 2, stopTimeout: 2 }, { strategy: 'rolling' });
  assert.ok(deployed.running);
  assert.is(deployed.spec.release, 1);
  hostPort = deployed.spec.hostPort;
  assert.equal(await versionsServed(hostPort), ['v1']);
  assert.equal((await instances()).map((i) => [i.release, i.imageDigest]), [[1, digests.v1], [1, digests.v1]]);
});

test('a rolling push runs the new code on every instance, keeps the instance count, and fails no request', async () => {
  if (!isRoot) return;
  digests.v2 = await buildVersion('v2');
  const stop = pollClient(hostPort);
  // No instance count given: the app keeps its 2, as `cf push` does.
  const deployed = await deployImage({ name: app, image: TAG, stopTimeout: 2 }, { strategy: 'rolling' });
  const polled = await stop();
  assert.ok(deployed.running);
  assert.is(deployed.spec.release, 2);
  assert.equal(polled.failures, [], `${polled.failures.length} of ${polled.requests} requests failed`);
  assert.equal(await versionsServed(hostPort), ['v2']);
  assert.equal((await instances()).map((i) => [i.release, i.imageDigest]), [[2, digests.v2], [2, digests.v2]]);
});

test('gc keeps the image of every release; rollback goes back to the previous one without a failed request', async () => {
  if (!isRoot) return;
  const gc = await dropship('gc', '--json');
  assert.is(gc.exitCode, 0, gc.stderr);
  const removed = (JSON.parse(gc.stdout) as { blobs: Array<{ digest: string }> }).blobs.map((b) => b.digest);
  assert.not.ok(removed.includes(digests.v1!), 'release 1 still names the untagged v1 image');
  const stop = pollClient(hostPort);
  const rollback = await dropship('rollback', app, '--json');
  const polled = await stop();
  assert.is(rollback.exitCode, 0, rollback.stderr);
  assert.is(JSON.parse(rollback.stdout).release, 3);
  assert.equal(polled.failures, [], `${polled.failures.length} of ${polled.requests} requests failed`);
  assert.equal(polled.answers.filter((v) => v !== 'v1' && v !== 'v2'), []);
  assert.equal(await versionsServed(hostPort), ['v1']);
  assert.equal((await instances()).map((i) => [i.release, i.imageDigest]), [[3, digests.v1], [3, digests.v1]]);
  const releases = JSON.parse((await dropship('releases', app, '--json')).stdout) as Array<{ version: number; reason: string; imageDigest: string; current: boolean }>;
  assert.equal(releases.map((r) => [r.version, r.imageDigest, r.current]), [[1, digests.v1, false], [2, digests.v2, false], [3, digests.v1, true]]);
  assert.is(releases[2]!.reason, 'rollback to release 1');
});

test('push --no-start makes a release and starts nothing; restart then runs its digest', async () => {
  if (!isRoot) return;
  digests.v3 = await buildVersion('v3');
  const deployed = await deployImage({ name: app, image: TAG, stopTimeout: 2 }, { strategy: 'replace', noStart: true });
  assert.is(deployed.spec.release, 4);
  assert.equal(await versionsServed(hostPort), ['v1'], 'the running instances are untouched');
  const text = (await dropship('ps', app)).stdout;
  assert.match(text, new RegExp(`${app}\\s+web\\s+0\\s+running.*\\s3\\*\\s`), 'ps marks instances of an older release');
  const restart = await dropship('restart', app);
  assert.is(restart.exitCode, 0, restart.stderr);
  assert.equal(await versionsServed(hostPort), ['v3']);
  assert.equal((await instances()).map((i) => [i.release, i.imageDigest]), [[4, digests.v3], [4, digests.v3]]);
});

test("rebase makes a release; restart --rolling puts every running instance's root fs on the new stack build", async () => {
  if (!isRoot) return;
  const before = await instances();
  for (const i of before) assert.is.not(await stackMtimeOf(i.containerId), REBUILT_EPOCH, 'the first stack build is not the rebuilt one');
  const saved = process.env.SOURCE_DATE_EPOCH;
  process.env.SOURCE_DATE_EPOCH = String(REBUILT_EPOCH);
  try {
    await buildStack('tiny', { force: true });
  } finally {
    if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = saved;
  }
  const rebase = await dropship('rebase', TAG, '--json');
  assert.is(rebase.exitCode, 0, rebase.stderr);
  const rebased = JSON.parse(rebase.stdout) as { digest: string; changed: boolean; releases: Array<{ app: string; release: number }> };
  assert.ok(rebased.changed);
  assert.equal(rebased.releases, [{ app, release: 5 }]);
  // The release is made; the instances still run release 4 until told to converge.
  assert.equal((await instances()).map((i) => i.release), [4, 4]);
  const stop = pollClient(hostPort);
  const restart = await dropship('restart', app, '--rolling');
  const polled = await stop();
  assert.is(restart.exitCode, 0, restart.stderr);
  assert.equal(polled.failures, [], `${polled.failures.length} of ${polled.requests} requests failed`);
  const after = await instances();
  assert.equal(after.map((i) => [i.release, i.imageDigest]), [[5, rebased.digest], [5, rebased.digest]]);
  for (const i of after) assert.is(await stackMtimeOf(i.containerId), REBUILT_EPOCH, `instance ${i.index} runs the rebuilt stack`);
  assert.equal(await versionsServed(hostPort), ['v3'], 'the droplet layer is the same');
});

test('rollback refuses a release whose image is gone, a release that does not exist and a bad number, and changes nothing', async () => {
  if (!isRoot) return;
  const before = await listReleases(app);
  // Release 2's image (v2) is no longer tagged; remove its manifest as a wiped store would have.
  await openStore().blobs.remove(digests.v2 as `sha256:${string}`);
  const gone = await dropship('rollback', app, '2');
  assert.is(gone.exitCode, 1);
  assert.match(gone.stderr, new RegExp(`^error: release 2 of '${app}' runs image ${digests.v2} \\(${TAG}\\), which is no longer in the store\\nhint: pick another release`));
  const missing = await dropship('rollback', app, '99');
  assert.is(missing.exitCode, 1);
  assert.match(missing.stderr, `error: app '${app}' has no release 99`);
  const bad = await dropship('rollback', app, 'two');
  assert.is(bad.exitCode, 1);
  assert.match(bad.stderr, "error: rollback: release 'two' is not a release number");
  assert.equal(await listReleases(app), before, 'no release was made');
  assert.equal((await instances()).map((i) => [i.state, i.release]), [['running', 5], ['running', 5]]);
  assert.equal(await versionsServed(hostPort), ['v3']);
});

test.run();
