import '../../helpers/env.js';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TEST_HOME } from '../../helpers/env.js';
import { buildIfCnb } from '../../../src/cnb/index.js';
import { isDropshipError } from '../../../src/errors.js';
import { exportImage, inspectImage, openStore } from '../../../src/oci/index.js';
import { bp, cnbScratch } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const dropship = (args: string[]) => execa('node', ['--import', 'tsx', MAIN, ...args], { reject: false, env: { CI: '1' }, timeout: 180_000 });
const s = cnbScratch('export');
let dir: string;
let app: string;

async function files(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await files(root, path)));
    else out.push(path);
  }
  return out.sort();
}

async function tarNames(digest: string): Promise<string[]> {
  const { stdout } = await execa('tar', ['-tf', openStore().blobs.path(digest as never)]);
  return stdout.split('\n').filter(Boolean);
}

test.before(async () => {
  dir = await mkdtemp(join(TEST_HOME, 'tmp', 'cnb-export-'));
  app = join(dir, 'app');
  for (const f of ['static/a.css', 'static/img/logo.png', 'lib/x.js', 'lib/y.txt', 'README']) {
    await mkdir(join(app, f, '..'), { recursive: true });
    await writeFile(join(app, f), `${f}\n`);
  }
});

test.after(async () => {
  await s.cleanup();
  await rm(dir, { recursive: true, force: true });
});

test('buildpack.md "Slice Layers" / platform.md "Exporter": one layer per slice in order, then the rest; label app lists them; reproducible', async () => {
  const warnings: string[] = [];
  const r = await s.build({ appDir: app, buildpacks: [bp('slicer')], tag: s.tag('v1') });
  warnings.push(...r.warnings);
  assert.ok(warnings.some((w) => w === 'buildpack fixture/slicer: launch.toml slices[2] (nothing-*) matches no app file; no layer for it'), warnings.join('\n'));
  assert.not.ok(warnings.some((w) => w.includes('one app layer')), 'slices are no longer ignored');
  const image = await inspectImage(s.tag('v1'));
  assert.is(image.layers.length, 7, 'stack, rt, sbom, slice static, slice lib/*.js, the rest, launcher');
  const lifecycle = JSON.parse(image.config.config.Labels!['io.buildpacks.lifecycle.metadata']!);
  assert.equal(lifecycle.app, image.layers.slice(3, 6).map((l) => ({ sha: l.diffId })));
  assert.equal(await tarNames(image.layers[3]!.digest), ['workspace/', 'workspace/static/', 'workspace/static/a.css', 'workspace/static/img/', 'workspace/static/img/logo.png']);
  assert.equal(await tarNames(image.layers[4]!.digest), ['workspace/', 'workspace/lib/', 'workspace/lib/x.js'], 'static/a.css stays in the first slice that matched it');
  assert.equal(await tarNames(image.layers[5]!.digest), ['workspace/', 'workspace/README', 'workspace/lib/', 'workspace/lib/y.txt'], 'static/ was wholly sliced: not in the rest');
  assert.equal(image.config.history!.map((h) => h.created_by).slice(3, 6), ['dropship build (app slice 1)', 'dropship build (app slice 2)', 'dropship build (app)']);

  const again = await s.build({ appDir: app, buildpacks: [bp('slicer')], tag: s.tag('v2') });
  assert.is(again.image.digest, image.digest, 'same source, same digest');
  assert.is(again.image.bytesWritten, 0);
});

test('an image with slices is a plain OCI image: skopeo sees its layers, umoci unpacks the whole app', async () => {
  const out = await mkdtemp(join(TEST_HOME, 'tmp', 'cnb-slices-oci-'));
  try {
    await exportImage(s.tag('v1'), { ociLayout: join(out, 'layout') });
    const inspected = JSON.parse((await execa('skopeo', ['inspect', `oci:${join(out, 'layout')}:v1`])).stdout) as { Layers: string[] };
    assert.is(inspected.Layers.length, 7);
    await execa('umoci', ['unpack', '--image', `${join(out, 'layout')}:v1`, join(out, 'bundle')]);
    const rootfs = join(out, 'bundle', 'rootfs', 'workspace');
    assert.equal(await files(rootfs), ['README', 'lib/x.js', 'lib/y.txt', 'static/a.css', 'static/img/logo.png']);
    assert.is(await readFile(join(rootfs, 'static/img/logo.png'), 'utf8'), 'static/img/logo.png\n');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('platform.md "Exporter" SBOMs: launch ones in the image, build ones only beside the cache and in --sbom-output-dir', async () => {
  const out = join(dir, 'sbom-out');
  await mkdir(join(out, 'build', 'stale'), { recursive: true });
  const r = await s.build({ appDir: app, buildpacks: [bp('slicer')], tag: s.tag('v3'), sbomOutputDir: out });
  const expected = ['build/fixture_slicer/sbom.cdx.json', 'build/fixture_slicer/tools/sbom.spdx.json', 'launch/fixture_slicer/rt/sbom.cdx.json', 'launch/fixture_slicer/sbom.cdx.json'];
  assert.equal(await files(out), expected, 'pack build --sbom-output-dir layout; what an earlier build left is replaced');
  assert.equal(await files(r.sbom.dir), expected);
  assert.equal(r.sbom.files.sort(), expected);
  assert.is(await readFile(join(out, 'build/fixture_slicer/tools/sbom.spdx.json'), 'utf8'), '{"spdxVersion":"SPDX-2.3","layer":"tools"}\n');
  const image = await inspectImage(s.tag('v3'));
  assert.equal((await tarNames(image.layers[2]!.digest)).filter((n) => !n.endsWith('/')),
    ['layers/sbom/launch/fixture_slicer/rt/sbom.cdx.json', 'layers/sbom/launch/fixture_slicer/sbom.cdx.json'], 'build SBOMs are not in the image');
});

test('project-descriptor.md: build env (-e wins), exclude, the project label, a group of a buildpack inside the app', async () => {
  const papp = join(dir, 'papp');
  await cp(app, papp, { recursive: true });
  await cp(bp('slicer'), join(papp, 'buildpacks', 'slicer'), { recursive: true });
  await mkdir(join(papp, 'logs'));
  await writeFile(join(papp, 'logs', 'old.log'), 'x');
  await writeFile(join(papp, 'secret.txt'), 'not for the image');
  await writeFile(join(papp, 'project.toml'), `[_]
schema-version = "0.2"
id = "com.example.papp"
version = "4.5.6"
source-url = "https://example.invalid/papp"
[_.metadata]
team = "blue"
[io.buildpacks]
exclude = ["secret.txt", "logs/", "buildpacks/"]
[[io.buildpacks.group]]
uri = "./buildpacks/slicer"
[[io.buildpacks.build.env]]
name = "GREETING"
value = "from-project"
[[io.buildpacks.build.env]]
name = "FROM_PROJECT"
value = "yes"
`);
  const lines: string[] = [];
  const run = (env: Record<string, string>, tag: string) => buildIfCnb({
    appDir: papp, buildpacks: [], tag: s.tag(tag), name: s.name, home: TEST_HOME, stack: 'tiny', network: false, env,
    onEvent: (e) => { if (e.type === 'log') lines.push(e.line); },
  });
  const r = await run({}, 'p1');
  assert.ok(r, 'the project group is a CNB build');
  assert.equal(r.group, [{ id: 'fixture/slicer', version: '1.0.0' }]);
  assert.is(r.project, join(papp, 'project.toml'));
  assert.ok(lines.includes('slicer: GREETING=from-project FROM_PROJECT=yes'), lines.join('\n'));
  const listing = lines.find((l) => l.startsWith('slicer: workspace: '))!;
  assert.is(listing, 'slicer: workspace: ./README ./lib ./lib/x.js ./lib/y.txt ./project.toml ./static ./static/a.css ./static/img ./static/img/logo.png ');
  const image = await inspectImage(s.tag('p1'));
  assert.equal(JSON.parse(image.config.config.Labels!['io.buildpacks.project.metadata']!), {
    source: { type: 'project', version: { declared: '4.5.6' }, metadata: { url: 'https://example.invalid/papp', id: 'com.example.papp', metadata: { team: 'blue' } } },
  });
  lines.length = 0;
  await run({ GREETING: 'from-flag' }, 'p2');
  assert.ok(lines.includes('slicer: GREETING=from-flag FROM_PROJECT=yes'), '-e wins over project.toml');

  await writeFile(join(papp, 'project.toml'), '[_]\nschema-version = "0.2"\n[[io.buildpacks.group]]\nid = "nope/missing"\nversion = "9"\n');
  const error = await run({}, 'p3').catch((e: unknown) => e);
  assert.ok(isDropshipError(error), String(error));
  assert.is(error.message, `${join(papp, 'project.toml')}: io.buildpacks.group[0]: no registered Cloud Native Buildpack has id nope/missing and version 9`);
});

test('dropship build --sbom-output-dir; a bad project.toml is one error line and a hint', async () => {
  const out = join(dir, 'cli-sbom');
  const built = await dropship(['build', app, '-t', s.tag('cli'), '-b', bp('slicer'), '--name', s.name, '--stack', 'tiny', '--no-network', '--sbom-output-dir', out]);
  assert.is(built.exitCode, 0, built.stderr);
  assert.ok(built.stdout.includes(`sbom: 4 file(s) in ${out}`), built.stdout);
  assert.ok((await files(out)).includes('build/fixture_slicer/tools/sbom.spdx.json'));

  const bad = join(dir, 'bad-project');
  await cp(app, bad, { recursive: true });
  await writeFile(join(bad, 'project.toml'), '[_]\nschema-version = "0.2"\n[io.buildpacks]\ninclude = ["a"]\nexclude = ["b"]\n');
  const failed = await dropship(['build', bad, '-t', s.tag('bad'), '-b', bp('slicer'), '--name', s.name, '--stack', 'tiny', '--no-network']);
  assert.is(failed.exitCode, 1);
  assert.equal(failed.stderr.trim().split('\n'), [
    `error: ${join(bad, 'project.toml')}: io.buildpacks.include: cannot be given with exclude`,
    'hint: keep one: include lists what to build (all else left out), exclude what to leave out',
  ]);
});

test.run();
