import '../../helpers/env.js';
import { chmod, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isRoot, uniqueName } from '../../helpers/env.js';
import { listReleases, readAppSpec } from '../../../src/apps/index.js';
import { ensureUnpacked } from '../../../src/oci/index.js';
import { defaultIdMap } from '../../../src/security/idmap.js';
import { buildStack, getStack, updateStack, type StackInfo } from '../../../src/stack/index.js';
import { type AptFixture, makeAptFixture } from '../../helpers/apt-fixture.js';
import { STACK_MARKER, tinyAppImage } from '../../helpers/tiny-app-image.js';
import { dropship, httpGet, removeApp } from '../app/helpers.js';
import { bp, CNB_APPS } from '../cnb/helpers.js';

// A store of its own: this file moves the tiny stack to a new build.
const home = await mkdtemp('/var/tmp/dropship-cnbpush-it-');
await chmod(home, 0o755);
const sharedHome = process.env.DROPSHIP_HOME;
const previousAptConfig = process.env.APT_CONFIG;
const NEW_CA = /^ca-certificates_2025/;
const cnbApp = uniqueName('cp-cnb');
const digestApp = uniqueName('cp-dgst');
const manifestApp = uniqueName('cp-man');
const detectedApp = uniqueName('cp-det');
let source = '';
let fixture: AptFixture | undefined;
let skip = isRoot ? '' : 'needs root for runc';
let oldStack: StackInfo | undefined;
let newStack: StackInfo | undefined;
let firstDigest = '';

interface PsStack { name: string; build: string; current?: string; outdated: boolean }
interface PsApp { name: string; release: number; imageDigest: string; hostPort: number; stack?: PsStack | null; instances: Array<{ index: number; state: string; release: number; containerId: string; stack?: PsStack | null }> }

async function ps(app: string): Promise<PsApp> {
  const run = await dropship('ps', app, '--json');
  assert.is(run.exitCode, 0, run.stderr);
  return (JSON.parse(run.stdout) as PsApp[])[0]!;
}

/** What ps says of the stack under the app and under each instance. */
async function outdated(app: string): Promise<boolean[]> {
  const summary = await ps(app);
  return [summary.stack!.outdated, ...summary.instances.map((i) => i.stack!.outdated)];
}

/** The stack marker each running instance sees, read from the host through its init's /proc/<pid>/root. */
async function markersSeen(app: string): Promise<string[]> {
  const seen: string[] = [];
  for (const i of (await ps(app)).instances) {
    assert.is(i.state, 'running', `${app} instance ${i.index}`);
    const { pid } = JSON.parse((await execa('runc', ['state', i.containerId])).stdout) as { pid: number };
    seen.push(await readFile(`/proc/${pid}/root/${STACK_MARKER}`, 'utf8'));
  }
  return seen;
}

async function markerOf(stack: StackInfo): Promise<string> {
  return readFile(join(await ensureUnpacked(stack.diffId, defaultIdMap({})), STACK_MARKER), 'utf8');
}

async function pushCnb(): Promise<{ digest: string; release: number; url: string; buildpacks: string[]; image: string }> {
  const push = await dropship('push', source, '--name', cnbApp, '-b', bp('httpd'), '--stack', 'tiny', '--json');
  assert.is(push.exitCode, 0, push.stderr.slice(-3000));
  const summary = JSON.parse(push.stdout);
  return { digest: summary.digest, release: summary.release, url: summary.url, buildpacks: summary.buildpacks, image: summary.image };
}

async function page(url: string): Promise<string> {
  const reply = await httpGet(Number(new URL(url).port), '/env.txt');
  assert.is(reply.status, 200, reply.body);
  return reply.body;
}

test.before(async () => {
  process.env.DROPSHIP_HOME = home;
  if (skip) return console.log(`skipping CNB push/repave tests: ${skip}`);
  const made = makeAptFixture(join(home, 'apt'), ['bash-static', 'busybox-static', 'ca-certificates=20230311+deb12u1', 'ca-certificates']);
  if (typeof made === 'string' || !made.pool.some((d) => NEW_CA.test(d))) {
    skip = typeof made === 'string' ? made : 'the mirror has one ca-certificates version only';
    return console.log(`skipping CNB push/repave tests: ${skip}`);
  }
  fixture = made;
  fixture.publish(fixture.pool.filter((d) => !NEW_CA.test(d)));
  process.env.APT_CONFIG = fixture.env.APT_CONFIG;
  source = join(home, 'src');
  await cp(join(CNB_APPS, 'hello'), source, { recursive: true });
});

test.after(async () => {
  if (isRoot) {
    for (const app of [cnbApp, digestApp, manifestApp, detectedApp]) await removeApp(app).catch((error: Error) => console.error(`cleanup of ${app}: ${error.message}`));
    // The store's daemon goes with the store.
    await dropship('daemon', 'stop');
  }
  if (previousAptConfig === undefined) delete process.env.APT_CONFIG;
  else process.env.APT_CONFIG = previousAptConfig;
  await rm(home, { recursive: true, force: true });
  process.env.DROPSHIP_HOME = sharedHome;
});

test('push of a CNB app: built by the CNB lifecycle, run as web through the CNB launcher, hardened, with PORT and VCAP_*; release pinned to its digest', async () => {
  if (skip) return;
  oldStack = await buildStack('tiny');
  const pushed = await pushCnb();
  firstDigest = pushed.digest;
  assert.equal(pushed.buildpacks, ['fixture/httpd 1.0.0']);
  const body = await page(pushed.url);
  assert.ok(body.includes('port=8080\n'), body);
  assert.ok(body.includes('uid=2000\n'), body);
  const vcap = JSON.parse(/^vcap=(.*)$/m.exec(body)![1]!);
  assert.equal([vcap.application_name, vcap.instance_index, vcap.process_type], [cnbApp, 0, 'web']);
  const spec = (await readAppSpec(cnbApp))!;
  assert.equal([spec.release, spec.imageDigest], [pushed.release, pushed.digest]);
  assert.equal(spec.stack, { name: 'tiny', build: oldStack.diffId }, 'the release records the stack build it runs on');
  // The process the launcher runs is the buildpack's web process, as vcap (no capabilities).
  const { containerId } = (await ps(cnbApp)).instances[0]!;
  const { pid } = JSON.parse((await execa('runc', ['state', containerId])).stdout) as { pid: number };
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  assert.match(status, /^NoNewPrivs:\s+1$/m);
  assert.equal(await outdated(cnbApp), [false, false]);
});

test('a second push rolls a new digest; rollback runs the first digest again', async () => {
  if (skip) return;
  await writeFile(join(source, 'hello.txt'), 'hello again\n');
  const second = await pushCnb();
  assert.is.not(second.digest, firstDigest, 'new source, new image');
  assert.is(second.release, 2);
  const back = await dropship('rollback', cnbApp, '--json');
  assert.is(back.exitCode, 0, back.stderr);
  const spec = (await readAppSpec(cnbApp))!;
  assert.equal([spec.release, spec.imageDigest], [3, firstDigest]);
  assert.equal((await ps(cnbApp)).instances.map((i) => [i.state, i.release]), [['running', 3]]);
  await page(`http://127.0.0.1:${spec.hostPort}`);
});

test('after a stack update ps marks both apps outdated; rebase of a bare digest and repave move them; every running instance sees the new build', async () => {
  if (skip) return;
  const imageDigest = await tinyAppImage(digestApp, oldStack!);
  const run = await dropship('run', imageDigest, '--name', digestApp, '-d', '--stop-timeout', '2');
  assert.is(run.exitCode, 0, run.stderr);
  assert.equal(await outdated(digestApp), [false, false]);

  fixture!.publish(fixture!.pool);
  const update = await updateStack('tiny');
  assert.ok(update.changed);
  newStack = update.info;
  const [oldMarker, newMarker] = [await markerOf(oldStack!), await markerOf(newStack)];
  assert.is.not(newMarker, oldMarker);
  assert.equal(await outdated(cnbApp), [true, true]);
  assert.equal(await outdated(digestApp), [true, true]);
  const text = await dropship('ps');
  assert.match(text.stdout, new RegExp(`${cnbApp}\\s+web\\s+0\\s+running.*\\stiny \\(outdated\\)\\s`));

  // An app started from a bare digest: rebase by that digest, the release names the new one.
  const rebased = await dropship('rebase', imageDigest, '--json');
  assert.is(rebased.exitCode, 0, rebased.stderr);
  const result = JSON.parse(rebased.stdout) as { digest: string; changed: boolean; releases: Array<{ app: string; release: number }> };
  assert.ok(result.changed);
  assert.equal(result.releases, [{ app: digestApp, release: 2 }]);
  const digestSpec = (await readAppSpec(digestApp))!;
  assert.equal([digestSpec.image, digestSpec.imageDigest], [result.digest, result.digest]);
  // Its instance still runs release 1 until it is replaced: ps says so.
  assert.equal(await outdated(digestApp), [false, true]);
  const restart = await dropship('restart', digestApp, '--rolling');
  assert.is(restart.exitCode, 0, restart.stderr);
  assert.equal(await outdated(digestApp), [false, false]);
  assert.equal(await markersSeen(digestApp), [newMarker]);

  const repave = await dropship('repave', '--json');
  assert.is(repave.exitCode, 0, repave.stderr);
  const results = JSON.parse(repave.stdout).results as Array<{ app: string; outcome: string; from: string; to: string }>;
  assert.equal(results.map((r) => [r.app, r.outcome, r.from, r.to]), [[cnbApp, 'repaved', oldStack!.diffId, newStack.diffId]]);
  assert.equal(await markersSeen(cnbApp), [newMarker], 'the running CNB instance is on the new stack build');
  assert.equal(await outdated(cnbApp), [false, false]);
  const body = await page(`http://127.0.0.1:${(await readAppSpec(cnbApp))!.hostPort}`);
  assert.ok(body.includes('port=8080\n'), 'the rebased CNB image still runs its launcher and process');
  const last = (await listReleases(cnbApp)).at(-1)!;
  assert.equal(last.stack, { name: 'tiny', build: newStack.diffId });
  assert.is((await getStack('tiny'))!.diffId, newStack.diffId);
});

test('rollback to a release on the older build: ps marks it outdated again', async () => {
  if (skip) return;
  const back = await dropship('rollback', cnbApp);
  assert.is(back.exitCode, 0, back.stderr);
  assert.equal(await outdated(cnbApp), [true, true]);
});

test("a manifest's buildpacks: and detection pick a registered CNB buildpack; restage builds the CNB app again", async () => {
  if (skip) return;
  const created = await dropship('buildpack', 'create', 'cnb-httpd', bp('httpd'));
  assert.is(created.exitCode, 0, created.stderr);
  const dir = join(home, 'manifest-app');
  await cp(join(CNB_APPS, 'hello'), dir, { recursive: true });
  await writeFile(join(dir, 'manifest.yml'), `applications:\n- name: ${manifestApp}\n  stack: tiny\n  buildpacks: [cnb-httpd]\n`);
  const viaManifest = await dropship('push', dir, '--json');
  assert.is(viaManifest.exitCode, 0, viaManifest.stderr.slice(-3000));
  const pushed = JSON.parse(viaManifest.stdout) as { buildpacks: string[]; digest: string; url: string };
  assert.equal(pushed.buildpacks, ['fixture/httpd 1.0.0']);
  assert.ok((await page(pushed.url)).includes(`"application_name":"${manifestApp}"`));

  const detected = await dropship('push', join(CNB_APPS, 'hello'), '--name', detectedApp, '--stack', 'tiny', '--json');
  assert.is(detected.exitCode, 0, detected.stderr.slice(-3000));
  assert.equal((JSON.parse(detected.stdout) as { buildpacks: string[] }).buildpacks, ['fixture/httpd 1.0.0'], 'no -b: the registered CNB buildpack detected the app');

  const restage = await dropship('restage', manifestApp, '--json');
  assert.is(restage.exitCode, 0, restage.stderr.slice(-3000));
  const spec = (await readAppSpec(manifestApp))!;
  assert.equal([spec.release, spec.imageDigest], [2, pushed.digest], 'the same source builds the same image again');
  assert.equal(spec.stack, { name: 'tiny', build: newStack!.diffId });
});

test.run();
