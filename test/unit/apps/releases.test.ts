import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
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
import { appPaths, readAppSpec, type AppSpec, type ProcessSpec } from '../../../src/apps/state.js';
import { DropshipError } from '../../../src/errors.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
let home = '';
const saved = process.env.DROPSHIP_HOME;

const web = (instances = 2): ProcessSpec => ({
  type: 'web', instances, memoryBytes: 256 << 20, diskBytes: 1 << 30, healthCheck: { type: 'port', endpoint: '/', startTimeoutMs: 60_000 },
});
const worker: ProcessSpec = {
  type: 'worker', instances: 0, memoryBytes: 128 << 20, diskBytes: 512 << 20, healthCheck: { type: 'process', endpoint: '/', startTimeoutMs: 60_000 }, command: 'node worker.js',
};

function spec(name: string, image = 'dropship-apps/a:latest', imageDigest = digest('a'), instances = 2): Omit<AppSpec, 'release'> {
  return {
    name, id: 'id-1', hostPort: 61001, createdAt: '2026-01-01T00:00:00.000Z',
    image, imageDigest, processes: [web(instances), worker],
    env: { A: '1' }, services: {}, containerPort: 8080, stopTimeoutMs: 10_000,
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
  const two = await commitRelease(spec('a', undefined, undefined, 3), 'scale: instances 3');
  assert.is(one.release, 1);
  assert.is(two.release, 2);
  assert.equal(await readAppSpec('a'), two);
  const releases = await listReleases('a');
  assert.equal(releases.map((r) => [r.version, r.reason, r.processes.map((p) => p.instances), r.imageDigest]), [[1, 'run', [2, 0], digest('a')], [2, 'scale: instances 3', [3, 0], digest('a')]]);
  assert.equal(releases[1]!.processes[1], worker, 'every process type with its instances, limits, command and health check');
  assert.ok(!Number.isNaN(Date.parse(releases[1]!.createdAt)));
  assert.is((await stat(join(appPaths('a').releases, '2.json'))).mode & 0o777, 0o600);
  assert.is((await stat(appPaths('a').releases)).mode & 0o777, 0o700);
});

test('a release holds what instances are made of, not who the app is', () => {
  const content = releaseContent({ ...spec('a'), release: 4 });
  assert.equal(Object.keys(content).sort(), ['containerPort', 'env', 'image', 'imageDigest', 'processes', 'services', 'stopTimeoutMs']);
});

test('an app.json and a release of the single-process layout read as one process, unchanged', async () => {
  const old = {
    name: 'old', id: 'id-0', hostPort: 61002, createdAt: '2026-01-01T00:00:00.000Z', release: 1,
    image: 'dropship-apps/old-worker:latest', imageDigest: digest('c'), processType: 'worker', instances: 3, memoryBytes: 64 << 20, diskBytes: 1 << 30,
    env: {}, services: {}, healthCheck: { type: 'process', endpoint: '/', startTimeoutMs: 30_000 }, command: 'run-worker', containerPort: 8080, stopTimeoutMs: 10_000,
  };
  const paths = appPaths('old');
  await mkdir(paths.releases, { recursive: true });
  await writeFile(paths.spec, JSON.stringify(old));
  await writeFile(join(paths.releases, '1.json'), JSON.stringify({ ...old, version: 1, reason: 'push', name: undefined }));
  const expected = [{ type: 'worker', instances: 3, memoryBytes: 64 << 20, diskBytes: 1 << 30, healthCheck: { type: 'process', endpoint: '/', startTimeoutMs: 30_000 }, command: 'run-worker' }];
  const read = (await readAppSpec('old'))!;
  assert.equal(read.processes, expected);
  assert.not.ok('instances' in read || 'processType' in read, 'the old fields are gone from what is read');
  assert.equal((await readRelease('old', 1)).processes, expected);
});

test('commits at the same time never share a number', async () => {
  const made = await Promise.all([1, 2, 3, 4, 5].map((n) => commitRelease(spec('a', undefined, undefined, n), `r${n}`)));
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
