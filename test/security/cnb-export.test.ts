import '../helpers/env.js';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TEST_HOME } from '../helpers/env.js';
import { listContainers } from '../../src/container/index.js';
import { buildIfCnb, cnbBuild } from '../../src/cnb/index.js';
import { isDropshipError, type DropshipError } from '../../src/errors.js';
import { inspectImage, openStore } from '../../src/oci/index.js';
import { MAX_SBOM_TOTAL_BYTES } from '../../src/cnb/sbom.js';
import { bp, CNB_APPS, cnbScratch } from '../integration/cnb/helpers.js';

/**
 * What the exporter takes from a build crosses a trust boundary: launch.toml [[slices]] globs,
 * SBOM files in the layers dir, and the app's own project.toml. A buildpack (or the app's author)
 * tries to reach host files through each; everything is asserted on the host.
 */

const s = cnbScratch('evil-export');
let dir: string;
let secret: string;
let secretDir: string;
const MARKER = 'SECRET-MARKER-c41e';
const HELLO = join(CNB_APPS, 'hello');

async function evilBuildpack(name: string, build: string, extraToml = ''): Promise<string> {
  const path = join(dir, name);
  await mkdir(join(path, 'bin'), { recursive: true });
  await writeFile(join(path, 'buildpack.toml'), `api = "0.12"\n[buildpack]\nid = "evil/${name}"\nversion = "6.6.6"\n${extraToml}`);
  await writeFile(join(path, 'bin', 'detect'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  await writeFile(join(path, 'bin', 'build'), `#!/bin/sh\nset -e\nlayers=$1\n${build}\n`, { mode: 0o755 });
  await chmod(path, 0o755);
  await chmod(dir, 0o755);
  return path;
}

async function failure(promise: Promise<unknown>): Promise<DropshipError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!isDropshipError(error)) throw new Error(`expected a DropshipError, got ${String(error)}`);
  return error;
}

async function assertNoSecretInImage(ref: string): Promise<void> {
  const image = await inspectImage(ref);
  for (const layer of image.layers.slice(1)) {
    const bytes = await readFile(openStore().blobs.path(layer.digest));
    assert.not.ok(bytes.includes(MARKER), `the secret was packed into layer ${layer.digest}`);
  }
}

async function tree(root: string): Promise<string> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(join(root, rel), { withFileTypes: true }).catch(() => [])) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      out.push(path);
      if (e.isDirectory()) await walk(path);
      else if (e.isFile()) out.push(await readFile(join(root, path), 'utf8'));
    }
  };
  await walk('');
  return out.join('\n');
}

test.before(async () => {
  dir = await mkdtemp(join(TEST_HOME, 'tmp', 'cnb-evil-export-'));
  secret = join(dir, 'host-secret');
  await writeFile(secret, `${MARKER}\n`, { mode: 0o600 });
  secretDir = join(dir, 'host-dir');
  await mkdir(secretDir);
  await writeFile(join(secretDir, 'file'), MARKER);
});

test.after(async () => {
  await s.cleanup();
  await rm(dir, { recursive: true, force: true });
});

test('buildpack.md "launch.toml" slices: globs that climb out of the app dir fail the build, naming buildpack, file and field', async () => {
  for (const [name, glob, problem] of [
    ['climb', '../../etc/*', "'../../etc/*' climbs out of the app directory with .."],
    ['absolute', '/etc/passwd', "'/etc/passwd' is outside the app directory /workspace"],
    ['badglob', 'static/[', "'static/[' is not a valid glob: a character class is unfinished or has a stray - or ]"],
  ] as const) {
    const evil = await evilBuildpack(name, `printf '[[slices]]\\npaths = ["ok", "${glob}"]\\n' >"$layers/launch.toml"`);
    const error = await failure(s.build({ appDir: HELLO, buildpacks: [evil], tag: s.tag(name) }));
    assert.is(error.message, `buildpack evil/${name}: launch.toml: slices[0] paths[1]: ${problem}`);
    assert.is(error.exitCode, 51);
    assert.is(await openStore().layout.getRef(s.tag(name)), undefined, 'no image was tagged');
  }
});

test('a slice through a symlink the buildpack planted in the app packs the link, never what it points at', async () => {
  const evil = await evilBuildpack('slicelink', [
    `ln -s ${secretDir} /workspace/leak`,
    `ln -s ${secret} /workspace/leak-file`,
    `printf '[[slices]]\\npaths = ["leak/*", "leak", "leak-file"]\\n' >"$layers/launch.toml"`,
  ].join('\n'));
  const r = await s.build({ appDir: HELLO, buildpacks: [evil], tag: s.tag('slicelink') });
  const image = await inspectImage(s.tag('slicelink'));
  const lifecycle = JSON.parse(image.config.config.Labels!['io.buildpacks.lifecycle.metadata']!);
  assert.is(lifecycle.app.length, 2, 'the links are a slice of their own, then the rest');
  await assertNoSecretInImage(s.tag('slicelink'));
  assert.is(await readFile(join(secretDir, 'file'), 'utf8'), MARKER);
  assert.ok(r.image.digest);
});

test('SBOMs: a link to /etc/shadow or a host secret and an oversized file are left out; the host is untouched', async () => {
  const out = join(dir, 'sbom-out');
  await mkdir(out, { recursive: true });
  // A link planted where the output tree goes is removed, not written through.
  const victim = join(dir, 'victim');
  await mkdir(victim);
  await writeFile(join(victim, 'keep'), 'keep');
  await symlink(victim, join(out, 'launch'));
  const evil = await evilBuildpack('sbomlinks', [
    'mkdir -p "$layers/big" "$layers/tool"',
    'printf "[types]\\nlaunch = true\\n" >"$layers/big.toml"',
    'printf "[types]\\nbuild = true\\n" >"$layers/tool.toml"',
    'ln -s /etc/shadow "$layers/build.sbom.cdx.json"',
    `ln -s ${secret} "$layers/launch.sbom.cdx.json"`,
    `ln -s ${secret} "$layers/tool.sbom.cdx.json"`,
    'head -c 17000000 /dev/zero >"$layers/big.sbom.cdx.json"',
    'mkfifo "$layers/fifo.sbom.cdx.json" 2>/dev/null || true',
  ].join('\n'), 'sbom-formats = ["application/vnd.cyclonedx+json"]\n');
  const r = await s.build({ appDir: HELLO, buildpacks: [evil], tag: s.tag('sbomlinks'), sbomOutputDir: out });
  assert.equal(r.sbom.files, [], 'nothing was taken');
  for (const file of ['build.sbom.cdx.json is a symlink', 'launch.sbom.cdx.json is a symlink', 'tool.sbom.cdx.json is a symlink', 'big.sbom.cdx.json is 17000000 bytes, over the 16777216 bytes an SBOM may have']) {
    assert.ok(r.warnings.includes(`buildpack evil/sbomlinks: ${file}; left out of the SBOMs`), r.warnings.join('\n'));
  }
  const shadow = await readFile('/etc/shadow', 'utf8');
  const written = (await tree(out)) + (await tree(r.sbom.dir));
  assert.not.ok(written.includes(MARKER) || written.includes(shadow.split('\n')[0]!), 'a secret reached an SBOM dir');
  await assertNoSecretInImage(s.tag('sbomlinks'));
  assert.equal(await readdir(victim), ['keep'], 'the planted link was removed, not followed');
  assert.is((await stat(secret)).mode & 0o777, 0o600);
  assert.equal((await listContainers()).filter((c) => c.labels.app === s.name), []);
});

test('SBOMs: hardlinks of one file under many layer names cannot make the host hold or write more than the total bound', async () => {
  // One 15 MB file on the build's disk, six names for it: 90 MB the host would read into memory and write
  // out three times (image, cache, --sbom-output-dir). A real attack uses thousands of names, or sparse files.
  const out = join(dir, 'sbom-amplified');
  const evil = await evilBuildpack('sbomlinked', [
    'head -c 15000000 /dev/zero >"$layers/one"',
    'for i in 1 2 3 4 5 6; do',
    '  printf "[types]\\nbuild = true\\n" >"$layers/l$i.toml"',
    '  ln "$layers/one" "$layers/l$i.sbom.cdx.json"',
    'done',
  ].join('\n'), 'sbom-formats = ["application/vnd.cyclonedx+json"]\n');
  const r = await s.build({ appDir: HELLO, buildpacks: [evil], tag: s.tag('sbomlinked'), sbomOutputDir: out });
  const bytes = async (root: string) => {
    let n = 0;
    for (const f of r.sbom.files) n += (await stat(join(root, f))).size;
    return n;
  };
  assert.ok(r.sbom.files.length > 0 && r.sbom.files.length < 6, r.sbom.files.join(', '));
  assert.ok((await bytes(r.sbom.dir)) <= MAX_SBOM_TOTAL_BYTES, 'the cache copy is within the bound');
  assert.ok((await bytes(out)) <= MAX_SBOM_TOTAL_BYTES, 'the output dir copy is within the bound');
  assert.ok(r.warnings.includes(`buildpack evil/sbomlinked: l6.sbom.cdx.json is 15000000 bytes, over the ${MAX_SBOM_TOTAL_BYTES} bytes all SBOMs of a build may have together; left out of the SBOMs`), r.warnings.join('\n'));
});

test('the same buildpack twice in a group (one layers dir, its SBOMs taken twice) is refused before it runs, not a crash after the image is tagged', async () => {
  const error = await failure(s.build({ appDir: HELLO, buildpacks: [bp('slicer'), bp('slicer')], tag: s.tag('twice') }));
  assert.is(error.code, 'CNB_GROUP_DUPLICATE');
  assert.ok(error.message.endsWith('are both fixture/slicer in one group: they would share the layers dir /layers/fixture_slicer'), error.message);
  assert.is(await openStore().layout.getRef(s.tag('twice')), undefined, 'no image was tagged');
  assert.equal((await listContainers()).filter((c) => c.labels.app === s.name), []);
});

test('SBOMs: a malformed name or an undeclared format fails the build with one line', async () => {
  const bad = await evilBuildpack('sbomname', 'mkdir -p "$layers/rt"\nprintf "[types]\\nlaunch = true\\n" >"$layers/rt.toml"\necho "<xml/>" >"$layers/rt.sbom.xml.json"', 'sbom-formats = ["application/vnd.cyclonedx+json"]\n');
  const e1 = await failure(s.build({ appDir: HELLO, buildpacks: [bad], tag: s.tag('sbomname') }));
  assert.is(e1.message, "buildpack evil/sbomname: rt.sbom.xml.json: 'xml' is not an SBOM format (cdx, spdx or syft)");
  assert.not.ok(e1.message.includes('\n'));
  const undeclared = await evilBuildpack('sbomundeclared', 'echo "{}" >"$layers/launch.sbom.spdx.json"', 'sbom-formats = ["application/vnd.cyclonedx+json"]\n');
  const e2 = await failure(s.build({ appDir: HELLO, buildpacks: [undeclared], tag: s.tag('sbomundeclared') }));
  assert.is(e2.message, 'buildpack evil/sbomundeclared: launch.sbom.spdx.json: media type application/spdx+json is not declared in buildpack.toml [buildpack] sbom-formats');
  assert.is(e2.exitCode, 51);
  assert.is(await openStore().layout.getRef(s.tag('sbomundeclared')), undefined);
});

test("project.toml is the app's own file: a link, patterns or a buildpack uri reaching outside the app are refused", async () => {
  const app = join(dir, 'papp');
  await cp(HELLO, app, { recursive: true });
  const build = () => failure(cnbBuild({ appDir: app, buildpacks: [bp('provider')], tag: s.tag('proj'), name: s.name, home: TEST_HOME, stack: 'tiny', network: false }));

  await symlink(secret, join(app, 'project.toml'));
  const link = await build();
  assert.is(link.code, 'FILE_IS_LINK');
  assert.not.ok(`${link.message} ${link.hint}`.includes(MARKER));

  await rm(join(app, 'project.toml'));
  await writeFile(join(app, 'project.toml'), '[_]\nschema-version = "0.2"\n[io.buildpacks]\ninclude = ["hello.txt", "../host-secret"]\n');
  const pattern = await build();
  assert.is(pattern.message, `${join(app, 'project.toml')}: io.buildpacks.include[1]: '../host-secret' points outside the app directory`);

  // A group uri that is a link out of the app, to a real buildpack on the host.
  const outside = join(dir, 'outside-bp');
  await cp(bp('slicer'), outside, { recursive: true });
  await symlink(outside, join(app, 'bp'));
  await writeFile(join(app, 'project.toml'), '[_]\nschema-version = "0.2"\n[[io.buildpacks.group]]\nuri = "./bp"\n');
  const uri = await failure(buildIfCnb({ appDir: app, buildpacks: [], tag: s.tag('proj'), name: s.name, home: TEST_HOME, stack: 'tiny', network: false }));
  assert.is(uri.code, 'PATH_OUTSIDE_APP');
  assert.ok(uri.message.startsWith(`${join(app, 'project.toml')}: io.buildpacks.group[0].uri: `), uri.message);
  assert.is(await openStore().layout.getRef(s.tag('proj')), undefined, 'nothing was built');
});

test('an app tree deeper than PATH_MAX fails the export with one error line, and the staging work dir still goes', async () => {
  // Two chains of 100 dirs, one moved into the other: no path the buildpack names is over 4096 bytes.
  const evil = await evilBuildpack('deep', [
    'chain() { p=$1; i=0; while [ $i -lt 100 ]; do p=$p/dddddddddddddddddddddddddddddd; i=$((i+1)); done; mkdir -p "$p"; echo "$p"; }',
    'cd /workspace && a=$(chain deep) && b=$(chain b) && mv b "$a/"',
    `printf '[[processes]]\\ntype = "web"\\ncommand = ["true"]\\n' >"$layers/launch.toml"`,
    `if [ -n "\${SLICE:-}" ]; then printf '[[slices]]\\npaths = ["deep"]\\n' >>"$layers/launch.toml"; fi`,
  ].join('\n'));
  for (const [slice, code] of [['', 'TAR_READ_FAILED'], ['1', 'CNB_APP_UNREADABLE']] as const) {
    const error = await failure(s.build({ appDir: HELLO, buildpacks: [evil], tag: s.tag('deep'), env: slice ? { SLICE: slice } : {} }));
    assert.is(error.code, code, error.message.slice(0, 200));
    assert.equal((await readdir(join(TEST_HOME, 'tmp'))).filter((n) => n.startsWith(`staging-${s.name}-`)), [], 'no work dir is left behind');
  }
  assert.is(await openStore().layout.getRef(s.tag('deep')), undefined);
});

test('a tree deeper than PATH_MAX left in the layers dir (no layer of the build) is removed when the cache is restored, not a failure of every later build', async () => {
  const evil = await evilBuildpack('deepcache', [
    'chain() { p=$1; i=0; while [ $i -lt 100 ]; do p=$p/dddddddddddddddddddddddddddddd; i=$((i+1)); done; mkdir -p "$p"; echo "$p"; }',
    'cd "$layers" && a=$(chain junk) && b=$(chain b) && mv b "$a/"',
    `printf '[[processes]]\\ntype = "web"\\ncommand = ["true"]\\n' >"$layers/launch.toml"`,
  ].join('\n'));
  await s.build({ appDir: HELLO, buildpacks: [evil], tag: s.tag('deepcache') });
  // The second build restores the cache, which removes junk/ (no junk.toml beside it), then makes it again.
  const again = await s.build({ appDir: HELLO, buildpacks: [evil], tag: s.tag('deepcache') });
  assert.ok(again.image.digest);
  assert.equal((await readdir(join(TEST_HOME, 'tmp'))).filter((n) => n.startsWith(`staging-${s.name}-`)), []);
});

test('--sbom-output-dir naming a file is one error line naming the flag, not a crash; the file is untouched', async () => {
  const file = join(dir, 'not-a-dir');
  await writeFile(file, 'keep');
  const error = await failure(s.build({ appDir: HELLO, buildpacks: [bp('slicer')], tag: s.tag('outfile'), sbomOutputDir: file }));
  assert.is(error.code, 'SBOM_OUTPUT_FAILED');
  assert.ok(error.message.startsWith(`--sbom-output-dir ${file}: cannot lay out the SBOMs: `), error.message);
  assert.is(await readFile(file, 'utf8'), 'keep');
});

test.run();
