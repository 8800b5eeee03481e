import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  commitRelease,
  listReleases,
  readRelease,
  referencedImageDigests,
  releaseContent,
  releaseRebasedImage,
} from '../../../src/apps/releases.js';
import { appPaths, readAppSpec, type AppSpec } from '../../../src/apps/state.js';
import { DropshipError } from '../../../src/errors.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
let home = '';
const saved = process.env.DROPSHIP_HOME;

function spec(name: string, image = 'dropship-apps/a:latest', imageDigest = digest('a')): Omit<AppSpec, 'release'> {
  return {
    name, id: 'id-1', hostPort: 61001, createdAt: '2026-01-01T00:00:00.000Z',
    image, imageDigest, processType: 'web', instances: 2, memoryBytes: 256 << 20, diskBytes: 1 << 30,
    env: { A: '1' }, services: {}, healthCheck: { type: 'port', endpoint: '/', startTimeoutMs: 60_000 },
    containerPort: 8080, stopTimeoutMs: 10_000,
  };
}

test.before.each(async () => {
  home = await mkdtemp(join(tmpdir(), 'dropship-releases-unit-'));
  process.env.DROPSHIP_HOME = home;
});

test.after.each(async () => {
  await rm(home, { recursive: true, force: true });
  if (saved === undefined) delete process.env.DROPSHIP_HOME;
  else process.env.DROPSHIP_HOME = saved;
});

test('releases are numbered from 1; app.json is the latest, each release a 0600 file in a 0700 dir', async () => {
  const one = await commitRelease(spec('a'), 'run');
  const two = await commitRelease({ ...spec('a'), instances: 3 }, 'scale: instances 3');
  assert.is(one.release, 1);
  assert.is(two.release, 2);
  assert.equal(await readAppSpec('a'), two);
  const releases = await listReleases('a');
  assert.equal(releases.map((r) => [r.version, r.reason, r.instances, r.imageDigest]), [[1, 'run', 2, digest('a')], [2, 'scale: instances 3', 3, digest('a')]]);
  assert.ok(!Number.isNaN(Date.parse(releases[1]!.createdAt)));
  assert.is((await stat(join(appPaths('a').releases, '2.json'))).mode & 0o777, 0o600);
  assert.is((await stat(appPaths('a').releases)).mode & 0o777, 0o700);
});

test('a release holds what instances are made of, not who the app is', () => {
  const content = releaseContent({ ...spec('a'), release: 4 });
  assert.equal(Object.keys(content).sort(), ['containerPort', 'diskBytes', 'env', 'healthCheck', 'image', 'imageDigest', 'instances', 'memoryBytes', 'processType', 'services', 'stopTimeoutMs']);
});

test('commits at the same time never share a number', async () => {
  const made = await Promise.all([1, 2, 3, 4, 5].map((n) => commitRelease({ ...spec('a'), instances: n }, `r${n}`)));
  assert.equal(made.map((s) => s.release).sort(), [1, 2, 3, 4, 5]);
  assert.equal((await listReleases('a')).map((r) => r.version), [1, 2, 3, 4, 5]);
});

test('files that are not releases are ignored; a damaged release is an error naming its file', async () => {
  await commitRelease(spec('a'), 'run');
  const dir = appPaths('a').releases;
  await writeFile(join(dir, 'notes.txt'), 'x');
  await writeFile(join(dir, '2.json.tmp'), '{');
  await writeFile(join(dir, '-3.json'), '{}');
  assert.equal((await listReleases('a')).map((r) => r.version), [1]);
  assert.is((await commitRelease(spec('a'), 'again')).release, 2);
  await writeFile(join(dir, '3.json'), '{ not json');
  try {
    await listReleases('a');
    assert.unreachable('a damaged release must not be skipped silently');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as DropshipError).code, 'BAD_APP_STATE');
    assert.ok((error as Error).message.startsWith(`cannot read ${join(dir, '3.json')}`));
  }
});

test('readRelease: a number that is no release, or no number, is RELEASE_NOT_FOUND with a hint', async () => {
  await commitRelease(spec('a'), 'run');
  assert.is((await readRelease('a', 1)).reason, 'run');
  for (const version of [2, 0, -1, 1.5, Number.NaN]) {
    try {
      await readRelease('a', version);
      assert.unreachable(String(version));
    } catch (error) {
      assert.is((error as DropshipError).code, 'RELEASE_NOT_FOUND');
      assert.is((error as Error).message, `app 'a' has no release ${version}`);
      assert.is((error as DropshipError).hint, '`dropship releases a` lists its releases');
    }
  }
});

test('referencedImageDigests: every release of every app, current or not', async () => {
  await commitRelease(spec('a', 'x:1', digest('1')), 'run');
  await commitRelease(spec('a', 'x:1', digest('2')), 'push');
  await commitRelease(spec('b', 'y:1', digest('3')), 'run');
  assert.equal((await referencedImageDigests()).sort(), [digest('1'), digest('2'), digest('3')]);
});

test('releaseRebasedImage: only apps whose current release runs that image name, on another digest', async () => {
  await commitRelease(spec('a', 'x:1', digest('1')), 'run');
  await commitRelease(spec('b', 'y:1', digest('1')), 'run');
  await commitRelease(spec('c', 'x:1', digest('2')), 'run');
  const made = await releaseRebasedImage('x:1', digest('2'), { name: 'tiny', build: digest('9') }, 'rebase onto tiny sha256:…');
  assert.equal(made, [{ app: 'a', release: 2 }]);
  const a = (await readAppSpec('a'))!;
  assert.is(a.imageDigest, digest('2'));
  assert.is(a.image, 'x:1');
  assert.equal(a.stack, { name: 'tiny', build: digest('9') }, 'the release records the stack build it is on');
  assert.is((await readAppSpec('b'))!.release, 1);
  assert.is((await readAppSpec('c'))!.release, 1);
  assert.match(await readFile(appPaths('a').events, 'utf8'), `release 2: rebase onto tiny sha256:… (image ${digest('2')})`);
});

test('releaseRebasedImage: an app started from a bare digest is named by the rebased digest', async () => {
  await commitRelease(spec('d', digest('1'), digest('1')), 'run');
  const made = await releaseRebasedImage(digest('1'), digest('2'), { name: 'tiny', build: digest('9') }, 'rebase onto tiny sha256:…');
  assert.equal(made, [{ app: 'd', release: 2 }]);
  const d = (await readAppSpec('d'))!;
  assert.equal([d.image, d.imageDigest], [digest('2'), digest('2')]);
  assert.equal(await releaseRebasedImage(digest('1'), digest('3'), { name: 'tiny', build: digest('9') }, 'again'), [], 'the old digest names no app any more');
});

test.run();
