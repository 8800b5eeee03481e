import '../../helpers/env.js';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isRoot, uniqueName } from '../../helpers/env.js';
import { appPaths, listReleases, readAppSpec, releaseStack } from '../../../src/apps/index.js';
import { ensureUnpacked } from '../../../src/oci/index.js';
import { deployImage } from '../../../src/push/index.js';
import { defaultIdMap } from '../../../src/security/idmap.js';
import { buildStack, getStack, updateStack, type StackInfo } from '../../../src/stack/index.js';
import { type AptFixture, makeAptFixture } from '../../helpers/apt-fixture.js';
import { STACK_MARKER, tinyAppImage } from '../../helpers/tiny-app-image.js';
import { dropship, httpGet, removeApp } from '../app/helpers.js';

// A store of its own: this file moves the tiny stack to a new build.
const home = await mkdtemp('/var/tmp/dropship-repave-it-');
await chmod(home, 0o755);
// Set for this suite only, in before(): uvu imports every test file before it runs any, so a
// top-level assignment would be overwritten by files imported later.
const sharedHome = process.env.DROPSHIP_HOME;
const previousAptConfig = process.env.APT_CONFIG;
const NEW_CA = /^ca-certificates_2025/;
const MARKER = STACK_MARKER;
const apps = ['a', 'b', 'fragile'].map((n) => uniqueName(`rp-${n}`));
const [appA, appB, fragile] = apps as [string, string, string];
let fixture: AptFixture | undefined;
let skip = isRoot ? '' : 'needs root for runc';
const ports: Record<string, number> = {};

/** GETs on fresh connections to every app until stopped; every request that failed, by app. */
function pollApps(targets: string[]) {
  let running = true;
  const failures: string[] = [];
  let requests = 0;
  const loops = targets.map(async (app) => {
    while (running) {
      requests++;
      try {
        const reply = await httpGet(ports[app]!);
        if (reply.status !== 200 || !reply.body.startsWith(app)) failures.push(`${app}: HTTP ${reply.status} ${reply.body.trim()}`);
      } catch (error) {
        failures.push(`${app}: ${(error as Error).message}`);
      }
    }
  });
  return async () => {
    running = false;
    await Promise.all(loops);
    return { failures, requests };
  };
}

interface PsInstance { index: number; state: string; release: number; imageDigest: string; containerId: string }

async function instancesOf(app: string): Promise<PsInstance[]> {
  const ps = await dropship('ps', app, '--json');
  assert.is(ps.exitCode, 0, ps.stderr);
  return (JSON.parse(ps.stdout)[0].instances as PsInstance[]).sort((x, y) => x.index - y.index);
}

/** The stack marker each running instance sees, read from the host through its init's /proc/<pid>/root. */
async function markersSeen(app: string): Promise<string[]> {
  const seen: string[] = [];
  for (const i of await instancesOf(app)) {
    assert.is(i.state, 'running', `${app} instance ${i.index}`);
    const { pid } = JSON.parse((await execa('runc', ['state', i.containerId])).stdout) as { pid: number };
    seen.push(await readFile(`/proc/${pid}/root/${MARKER}`, 'utf8'));
  }
  return seen;
}

async function markerOf(stack: StackInfo): Promise<string> {
  return readFile(join(await ensureUnpacked(stack.diffId, defaultIdMap({})), MARKER), 'utf8');
}

const packagesLine = (marker: string) => marker.split('\n').find((l) => l.startsWith('DROPSHIP_STACK_PACKAGES='))!;

test.before(async () => {
  process.env.DROPSHIP_HOME = home;
  if (skip) return console.log(`skipping repave tests: ${skip}`);
  const made = makeAptFixture(join(home, 'apt'), ['bash-static', 'busybox-static', 'ca-certificates=20230311+deb12u1', 'ca-certificates']);
  if (typeof made === 'string' || !made.pool.some((d) => NEW_CA.test(d))) {
    skip = typeof made === 'string' ? made : 'the mirror has one ca-certificates version only';
    return console.log(`skipping repave tests: ${skip}`);
  }
  fixture = made;
  fixture.publish(fixture.pool.filter((d) => !NEW_CA.test(d)));
  process.env.APT_CONFIG = fixture.env.APT_CONFIG;
});

test.after(async () => {
  for (const app of apps) if (isRoot) await removeApp(app).catch((error: Error) => console.error(`cleanup of ${app}: ${error.message}`));
  // The store's daemon goes with the store.
  if (isRoot) await dropship('daemon', 'stop');
  if (previousAptConfig === undefined) delete process.env.APT_CONFIG;
  else process.env.APT_CONFIG = previousAptConfig;
  await rm(home, { recursive: true, force: true });
  process.env.DROPSHIP_HOME = sharedHome;
});

test('three apps on tiny; with every app on the current build, repave says so and exits 0', async () => {
  if (skip) return;
  const stack = await buildStack('tiny');
  const marker = await markerOf(stack);
  for (const app of apps) {
    await tinyAppImage(app, stack, app === fragile ? packagesLine(marker) : undefined);
    const deployed = await deployImage({ name: app, image: `dropship-apps/${app}:latest`, instances: 2, stopTimeout: 2 }, { strategy: 'rolling' });
    assert.ok(deployed.running, app);
    ports[app] = deployed.spec.hostPort;
  }
  const none = await dropship('repave');
  assert.is(none.exitCode, 0, none.stderr);
  assert.is(none.stdout, 'Nothing to repave: 3 apps on the current build of their stack');
});

test('after a stack update, repave moves every running instance onto the new build with no failed request; the app it breaks is rolled back', async () => {
  if (skip) return;
  const old = (await getStack('tiny'))!;
  fixture!.publish(fixture!.pool);
  const update = await updateStack('tiny');
  assert.ok(update.changed);
  const current = update.info;
  const newMarker = await markerOf(current);
  const oldMarker = await markerOf(old);
  assert.is.not(newMarker, oldMarker);

  const dry = await dropship('repave', '--dry-run', '--json');
  assert.is(dry.exitCode, 0, dry.stderr);
  assert.equal((JSON.parse(dry.stdout).todo as Array<{ app: string; behind: number }>).map((i) => [i.app, i.behind]), [...apps].sort().map((a) => [a, 1]));
  const outdatedCount = async () => (JSON.parse((await dropship('stack', 'ls', '--json')).stdout) as Array<{ name: string; appsOnOlderBuilds: number }>).find((x) => x.name === 'tiny')!.appsOnOlderBuilds;
  assert.is(await outdatedCount(), 3);
  const releasesBefore = Object.fromEntries(await Promise.all(apps.map(async (a) => [a, (await readAppSpec(a))!.release] as const)));

  const stop = pollApps(apps);
  const run = await dropship('repave', '--stack', 'tiny', '--json');
  const polled = await stop();
  assert.is(run.exitCode, 1, 'not every app made it');
  assert.match(run.stderr, `error: 1 of 3 apps not repaved: ${fragile} (rolled back)`);
  assert.equal(polled.failures, [], `${polled.failures.length} of ${polled.requests} requests failed`);
  assert.ok(polled.requests > apps.length, 'the client polled during the repave');
  const results = JSON.parse(run.stdout).results as Array<{ app: string; outcome: string; from: string; to: string; release: number; imageDigest: string }>;
  assert.equal(
    results.map((r) => [r.app, r.outcome, r.from, r.to]),
    [...apps].sort().map((a) => [a, a === fragile ? 'rolled back' : 'repaved', old.diffId, current.diffId]),
  );

  for (const app of [appA, appB]) {
    assert.equal(await markersSeen(app), [newMarker, newMarker], `every running instance of ${app} is on the new build`);
    const releases = await listReleases(app);
    const last = releases.at(-1)!;
    assert.is(last.version, releasesBefore[app]! + 1);
    assert.match(last.reason, /^repave: stack tiny [0-9a-f]{12} → [0-9a-f]{12}$/);
    assert.equal((await instancesOf(app)).map((i) => [i.release, i.imageDigest]), [[last.version, last.imageDigest], [last.version, last.imageDigest]]);
  }
  assert.is(await outdatedCount(), 1, 'only the broken app is left on the older build');
  const after = await dropship('repave', '--dry-run', '--json');
  assert.equal((JSON.parse(after.stdout).todo as Array<{ app: string }>).map((i) => i.app), [fragile]);
  // The broken app: a repave release, then back to what it ran, its instances never left the old build.
  assert.equal(await markersSeen(fragile), [oldMarker, oldMarker]);
  const fragileReleases = await listReleases(fragile);
  assert.equal(fragileReleases.slice(-2).map((r) => r.reason.split(':')[0]), ['repave', `rollback to release ${releasesBefore[fragile]}`]);
  assert.is(fragileReleases.at(-1)!.imageDigest, fragileReleases.at(-3)!.imageDigest);
});

test('Ctrl-C starts no further app; the one in flight finishes; every app stays on exactly one release', async () => {
  if (skip) return;
  // Back to the first package set: the first build is current again, so a and b are one behind, fragile is not.
  fixture!.publish(fixture!.pool.filter((d) => !NEW_CA.test(d)));
  assert.ok((await updateStack('tiny')).changed);
  const before = Object.fromEntries(await Promise.all([appA, appB].map(async (a) => [a, (await readAppSpec(a))!.release] as const)));
  const { execa: run } = await import('execa');
  const child = run(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url)), 'repave', '--parallel', '1', '--json'], { reject: false, env: process.env });
  let interrupted = false;
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    // The first app is rolling: interrupt now, as a user at the terminal would.
    if (!interrupted && /: rolling/.test(chunk)) {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  const result = await child;
  assert.ok(interrupted, String(result.stderr));
  assert.is(result.exitCode, 130, String(result.stderr));
  const results = JSON.parse(String(result.stdout)).results as Array<{ app: string; outcome: string }>;
  assert.equal(results.map((r) => r.outcome), ['repaved', 'not started']);
  const [first, second] = results.map((r) => r.app) as [string, string];
  assert.is((await readAppSpec(first))!.release, before[first]! + 1);
  assert.is((await readAppSpec(second))!.release, before[second], 'the app that did not start has no new release');
  for (const app of [first, second]) {
    const spec = (await readAppSpec(app))!;
    assert.equal((await instancesOf(app)).map((i) => [i.state, i.release, i.imageDigest]), [['running', spec.release, spec.imageDigest], ['running', spec.release, spec.imageDigest]], app);
  }
});

test('a release from before releases recorded their stack gets it from its image; one whose image is gone is unknown', async () => {
  if (skip) return;
  const first = (await listReleases(appA))[0]!;
  const recorded = first.stack!;
  assert.is(recorded.name, 'tiny');
  // As an older dropship wrote it: no stack field.
  const file = join(appPaths(appA).releases, `${first.version}.json`);
  const { stack: _stack, ...older } = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  await writeFile(file, JSON.stringify(older));
  assert.equal(await releaseStack({ imageDigest: first.imageDigest }), recorded, 'read from the image: what the release would have recorded');
  assert.is(await releaseStack({ imageDigest: `sha256:${'0'.repeat(64)}` }), undefined);
  const listed = await dropship('releases', appA);
  assert.is(listed.exitCode, 0, listed.stderr);
  const row = listed.stdout.split('\n').find((line) => new RegExp(`^\\*?\\s*${first.version}\\s`).test(line))!;
  assert.match(row, ` tiny ${recorded.build.slice(7, 19)} `);
  assert.not.match(listed.stdout, 'unknown');
});

test.run();
