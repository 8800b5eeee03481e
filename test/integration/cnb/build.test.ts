import '../../helpers/env.js';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TEST_HOME, uniqueName } from '../../helpers/env.js';
import { isDropshipError, type DropshipError } from '../../../src/errors.js';
import { exportImage, inspectImage } from '../../../src/oci/index.js';
import { ensureStack } from '../../../src/stack/index.js';
import { bp, CNB_APPS, cnbScratch } from './helpers.js';

const APP = join(CNB_APPS, 'hello');
const s = cnbScratch('build');
const ALL = [bp('composite'), bp('failing'), bp('optional-ruby'), bp('provider'), bp('consumer')];

test.after(() => s.cleanup());

test('buildpack.md "Order Resolution" + "Build": a composite group, [[or]] plan, build layers, clear-env', async () => {
  const lines: string[] = [];
  const r = await s.build({ appDir: APP, buildpacks: ALL, tag: s.tag('v1'), env: { FIXTURE_WORD: 'word' }, lines });
  assert.equal(r.group, [{ id: 'fixture/provider', version: '1.0.0' }, { id: 'fixture/consumer', version: '2.0.0' }]);
  assert.ok(lines.includes('skipping optional buildpack fixture/optional-ruby'), 'the optional member breaking the trial was dropped');
  assert.ok(lines.includes('detect: cwd=/workspace target=linux/amd64 debian@12 bpdir=/cnb/buildpacks/3'), lines.join('\n'));
  assert.ok(lines.includes('detect: platform env FIXTURE_WORD=word process env FIXTURE_WORD=word'), 'clear-env = false: user env as files and in the env');
  assert.ok(lines.includes('consumer: BUILT_BY=from-provider GREETING=hi FIXTURE_WORD=unset'), 'env.build and env of a build layer; clear-env = true hides user env');
  assert.ok(lines.includes('consumer: hello on PATH: /layers/fixture_provider/runtime/bin/hello'));
  assert.ok(lines.includes('  from = "consumer"') && lines.includes('  extra = "x"'), 'CNB_BP_PLAN_PATH has the requirers\' merged metadata');
  assert.ok(lines.includes('consumer: plan entries: 0'), 'an entry met by the provider is not handed to later buildpacks');
  assert.equal(r.processes.map((p) => p.type), ['other', 'web', 'worker']);
  assert.is(r.defaultProcess, 'web');
});

test('platform.md "Exporter": layers, ENTRYPOINT, labels, reproducible mtimes', async () => {
  const stack = await ensureStack('tiny');
  const image = await inspectImage(s.tag('v1'));
  const c = image.config.config;
  assert.is(image.layers.length, 6, 'stack, runtime, static, sbom, app, launcher (cache-only and ignored layers are not exported)');
  assert.is(image.layers[0]!.diffId, stack.diffId);
  assert.equal(c.Entrypoint, ['/cnb/process/web']);
  assert.is(c.User, '2000:2000');
  assert.is(c.WorkingDir, '/workspace');
  assert.is(image.config.created, '1980-01-01T00:00:01.000Z');
  const lifecycle = JSON.parse(c.Labels!['io.buildpacks.lifecycle.metadata']!);
  assert.is(lifecycle.runImage.topLayer, stack.diffId);
  assert.is(lifecycle.sbom.sha, image.layers[3]!.diffId, 'the SBOM layer is named in the label');
  assert.equal(Object.keys(lifecycle.buildpacks[0].layers), ['runtime', 'static']);
  assert.equal(lifecycle.buildpacks[0].layers.runtime.data, { version: '1.0.0' });
  const build = JSON.parse(c.Labels!['io.buildpacks.build.metadata']!);
  assert.equal(build.processes.find((p: { type: string }) => p.type === 'web'), { type: 'web', command: ['hello', "it's"], args: ['two words'], direct: true, default: true, buildpackID: 'fixture/provider' });
  assert.equal(build.buildpacks.map((b: { id: string }) => b.id), ['fixture/provider', 'fixture/consumer']);
  assert.ok(c.Labels!['io.buildpacks.project.metadata'] !== undefined);
  assert.is(c.Labels!['org.example.provider'], 'yes', 'launch.toml [[labels]]');
});

test('same source → same digest; an unchanged rebuild writes no layer; a kept launch layer is reused', async () => {
  const first = await inspectImage(s.tag('v1'));
  const lines: string[] = [];
  const again = await s.build({ appDir: APP, buildpacks: ALL, tag: s.tag('v2'), env: { FIXTURE_WORD: 'word' }, lines });
  assert.is(again.image.digest, first.digest);
  assert.is(again.image.bytesWritten, 0);
  assert.ok(lines.includes('build: keeping static layer'), 'the restored static.toml (no [types]) let the buildpack keep it');
  assert.ok(again.cache.restored.includes('fixture_provider/runtime'));
});

test('cache layers come back between builds; --clear-cache starts empty', async () => {
  const counter = (lines: string[]) => lines.find((l) => l.startsWith('build: counter='));
  const a: string[] = [];
  await s.build({ appDir: APP, buildpacks: ALL, tag: s.tag('v3'), env: { FIXTURE_BUMP: '1' }, lines: a });
  const b: string[] = [];
  await s.build({ appDir: APP, buildpacks: ALL, tag: s.tag('v3'), env: { FIXTURE_BUMP: '1' }, lines: b });
  assert.is(Number(counter(b)!.split('=')[1]), Number(counter(a)!.split('=')[1]) + 1);
  const c: string[] = [];
  await s.build({ appDir: APP, buildpacks: ALL, tag: s.tag('v3'), env: { FIXTURE_BUMP: '1' }, clearCache: true, lines: c });
  assert.is(counter(c), 'build: counter=1');
});

test('buildpack.md "Launch": the image runs without dropship (umoci + runc) with the launch env rules', async () => {
  const dir = await mkdtemp(join(TEST_HOME, 'tmp', 'cnb-run-'));
  const id = uniqueName('cnb-runc');
  try {
    await exportImage(s.tag('v1'), { ociLayout: join(dir, 'layout') });
    const inspected = JSON.parse((await execa('skopeo', ['inspect', `oci:${join(dir, 'layout')}:v1`])).stdout) as { Layers: string[] };
    assert.is(inspected.Layers.length, 6);
    const bundle = join(dir, 'bundle');
    await execa('umoci', ['unpack', '--image', `${join(dir, 'layout')}:v1`, bundle]);
    assert.is(await readFile(join(bundle, 'rootfs/layers/sbom/launch/fixture_provider/runtime/sbom.cdx.json'), 'utf8'), '{"bomFormat":"CycloneDX"}\n', 'buildpack.md "Software Bill of Materials"');
    const configPath = join(bundle, 'config.json');
    const spec = JSON.parse(await readFile(configPath, 'utf8'));
    spec.process.terminal = false;
    await writeFile(configPath, JSON.stringify(spec));
    await chmod(bundle, 0o711);
    const run = await execa('runc', ['run', '--bundle', bundle, id], { reject: false, timeout: 30_000 });
    assert.is(run.exitCode, 0, run.stderr);
    assert.ok(run.stdout.includes("hello: GREETING=hi MODE=launch LIST=a,b WEBONLY=yes EVIL=$(touch /tmp/pwned)`id` args=it's two words"), run.stdout);
    assert.ok(run.stdout.includes('PATH=/layers/fixture_provider/runtime/bin:/usr/local/sbin'), run.stdout);
    assert.ok(run.stdout.includes('LD_LIBRARY_PATH=/layers/fixture_provider/runtime/lib PORT=8080 pwd=/workspace uid=2000'), run.stdout);
  } finally {
    await execa('runc', ['delete', '--force', id], { reject: false });
    await rm(dir, { recursive: true, force: true });
  }
});

async function failure(promise: Promise<unknown>): Promise<DropshipError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!isDropshipError(error)) throw new Error(`expected a DropshipError, got ${String(error)}`);
  return error;
}

test('platform.md exit codes: no group passed 20, a detect error 21, a failed build 51', async () => {
  const none = await failure(s.build({ appDir: APP, buildpacks: [bp('failing')], tag: s.tag('fail') }));
  assert.is(none.exitCode, 20);
  assert.is(none.message, 'no buildpack group passed detection:\n  group 1 (fixture/failing): fixture/failing did not detect');
  const errored = await failure(s.build({ appDir: APP, buildpacks: [bp('failing'), bp('provider')], tag: s.tag('fail'), env: { FIXTURE_DETECT: 'error' } }));
  assert.is(errored.exitCode, 21);
  assert.match(errored.message, /fixture\/failing failed \(bin\/detect exit code 7: detect broke\)/);
  const built = await failure(s.build({ appDir: APP, buildpacks: [bp('failing')], tag: s.tag('fail'), env: { FIXTURE_DETECT: 'pass' } }));
  assert.is(built.exitCode, 51);
  assert.is(built.code, 'CNB_BUILD_FAILED');
  // stdout and stderr are two pipes: the tail keeps both lines, in whichever order they arrived.
  assert.match(built.message, /^buildpack fixture\/failing@0\.1\.0 failed in build: bin\/build exit code 3\nlast lines of output:\n {2}(about to fail\n {2}the reason is here|the reason is here\n {2}about to fail)$/);
});

test.run();
