import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { homePaths, type HomePaths } from '../../../src/home.js';
import { openStore } from '../../../src/oci/index.js';
import { buildStack, diffStack, ensureStack, findBuild, getStack, knownStacks, listStacks, readSbom, updateStack } from '../../../src/stack/index.js';
import { recipeDigest } from '../../../src/stack/recipes.js';

let dir = '';
let home: HomePaths;
const previousRootfs = process.env.DROPSHIP_ROOTFS_DIR;

async function recipe(name: string, script: string): Promise<void> {
  await mkdir(join(dir, 'recipes', name), { recursive: true });
  await writeFile(join(dir, 'recipes', name, 'build.sh'), script, { mode: 0o755 });
}

test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dropship-stack-'));
  home = homePaths(join(dir, 'home'));
  process.env.DROPSHIP_ROOTFS_DIR = join(dir, 'recipes');
  await recipe('mini', 'set -e\nmkdir -p "$1/etc"\necho hello > "$1/etc/hello"\necho "built into rootfs"\n');
  await recipe('broken', 'echo "step one"\necho "something went wrong" >&2\nexit 3\n');
  await mkdir(join(dir, 'recipes', 'not-a-recipe'));
});
test.after.each(async () => {
  if (previousRootfs === undefined) delete process.env.DROPSHIP_ROOTFS_DIR;
  else process.env.DROPSHIP_ROOTFS_DIR = previousRootfs;
  await rm(dir, { recursive: true, force: true });
});

test('knownStacks lists directories with a build.sh', async () => {
  assert.equal(await knownStacks(), ['broken', 'mini']);
});

test('buildStack runs the recipe, stores the layer, records metadata and streams the log', async () => {
  const lines: string[] = [];
  const info = await buildStack('mini', { home, onLog: (l) => lines.push(l) });
  assert.is(info.name, 'mini');
  assert.is(info.digest, info.diffId);
  assert.ok(await openStore(home).blobs.has(info.digest));
  assert.ok(lines.includes('built into rootfs'));
  assert.equal(await getStack('mini', home), info);
  assert.equal((await listStacks(home)).map((s) => s.name), ['mini']);
  assert.equal(await readdir(home.tmp), [], 'the build dir is removed');
});

test('a changed recipe builds anew and keeps the previous build in the history; ensureStack does not rebuild', async () => {
  const first = await buildStack('mini', { home });
  await recipe('mini', 'mkdir -p "$1/etc" && echo changed > "$1/etc/hello"\n');
  const kept = await ensureStack('mini', { home });
  assert.is(kept.diffId, first.diffId);
  const second = await buildStack('mini', { home });
  assert.is.not(second.diffId, first.diffId);
  assert.is.not(second.recipeDigest, first.recipeDigest);
  assert.equal(second.history.map((b) => b.diffId), [first.diffId]);
});

test('ensureStack builds a stack whose layer is gone from the store', async () => {
  const first = await buildStack('mini', { home });
  await openStore(home).blobs.remove(first.digest);
  const again = await ensureStack('mini', { home });
  assert.is(again.diffId, first.diffId);
  assert.ok(await openStore(home).blobs.has(again.digest));
});

test('a failing recipe is an error with its exit code and the end of its output', async () => {
  try {
    await buildStack('broken', { home });
    assert.unreachable('should fail');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as DropshipError).code, 'STACK_BUILD_FAILED');
    assert.match((error as DropshipError).message, /^stack broken: .*build\.sh exited 3\nstep one\nsomething went wrong$/);
  }
  assert.equal(await readdir(home.tmp), []);
  assert.is(await getStack('broken', home), undefined);
});

test('unknown stacks are refused by every entry point, with the known ones in the hint', async () => {
  for (const call of [() => buildStack('nope', { home }), () => ensureStack('nope', { home }), () => getStack('nope', home)]) {
    try {
      await call();
      assert.unreachable('should fail');
    } catch (error) {
      assert.is((error as DropshipError).code, 'UNKNOWN_STACK');
      assert.is((error as DropshipError).hint, 'known stacks: broken, mini');
    }
  }
});

test('recipeDigest changes with content and with the executable bit', async () => {
  const d = join(dir, 'recipes', 'mini');
  const before = await recipeDigest(d);
  await writeFile(join(d, 'extra.txt'), 'x');
  const after = await recipeDigest(d);
  assert.is.not(after, before);
  await writeFile(join(d, 'extra.txt'), 'x', { mode: 0o755 });
  const { chmod } = await import('node:fs/promises');
  await chmod(join(d, 'extra.txt'), 0o755);
  assert.is.not(await recipeDigest(d), after);
});

// A recipe whose "mirror" is a file the test edits: the version it reports comes from there.
const MIRRORED = 'set -e\nmkdir -p "$1/bin"\nv=$(cat "$MINI_MIRROR")\necho "$v" > "$1/bin/tool"\n[ "$DROPSHIP_STACK_UPDATE" = 1 ] && echo "refreshing"\nprintf "tool\\t%s\\tamd64\\nbase\\t1.0\\tall\\n" "$v" > "$DROPSHIP_PACKAGES"\n';

test('update: the same packages keep the build, a changed one makes a new build with a diff; the marker and SBOM follow', async () => {
  await recipe('mirrored', MIRRORED);
  const mirror = join(dir, 'mirror');
  process.env.MINI_MIRROR = mirror;
  try {
    await writeFile(mirror, '1.0-1\n');
    const first = await buildStack('mirrored', { home });
    assert.is(first.sbom?.packages, 2);
    const lines: string[] = [];
    const same = await updateStack('mirrored', { home, onLog: (l) => lines.push(l) });
    assert.ok(lines.includes('refreshing'), 'the recipe was told to refresh');
    assert.is(same.changed, false);
    assert.equal(await getStack('mirrored', home), first);

    await writeFile(mirror, '1.0-2\n');
    const next = await updateStack('mirrored', { home });
    assert.is(next.changed, true);
    assert.equal(next.diff, { changed: [{ name: 'tool', arch: 'amd64', from: '1.0-1', to: '1.0-2' }], added: [], removed: [] });
    assert.equal(findBuild(next.info, 'previous').diffId, first.diffId);
    assert.equal(findBuild(next.info, first.diffId.slice(7, 19)).diffId, first.diffId);
    assert.equal(findBuild(next.info, '~0').diffId, next.info.diffId);
    assert.equal((await diffStack('mirrored', { home, from: 'current', to: 'previous' })).changed, [{ name: 'tool', arch: 'amd64', from: '1.0-2', to: '1.0-1' }]);
    assert.equal((await readSbom(home, 'mirrored', first.diffId))?.packages.map((p) => p.versionInfo), [first.diffId, '1.0', '1.0-1']);
  } finally {
    delete process.env.MINI_MIRROR;
  }
});

test('a package-only change is a layer change: the build marker names the package list', async () => {
  await recipe('pkgonly', 'mkdir -p "$1/etc"\nprintf "tool\\t%s\\tamd64\\n" "$(cat "$MINI_MIRROR")" > "$DROPSHIP_PACKAGES"\n');
  process.env.MINI_MIRROR = join(dir, 'mirror');
  try {
    await writeFile(join(dir, 'mirror'), '1\n');
    const a = await buildStack('pkgonly', { home });
    await writeFile(join(dir, 'mirror'), '2\n');
    const b = await updateStack('pkgonly', { home });
    assert.is(b.changed, true, 'same files, other package versions: another build');
    assert.is.not(b.info.diffId, a.diffId);
  } finally {
    delete process.env.MINI_MIRROR;
  }
});

test('builds are named by current, previous, ~N or a diff_id prefix; others are refused with a hint', async () => {
  const info = await buildStack('mini', { home });
  assert.is(findBuild(info, 'current').diffId, info.diffId);
  for (const ref of ['previous', '~3', 'abc', 'ffffffff']) {
    try {
      findBuild(info, ref);
      assert.unreachable(ref);
    } catch (error) {
      assert.is((error as DropshipError).code, 'STACK_BUILD_NOT_FOUND', ref);
      assert.match((error as DropshipError).hint!, 'current, previous, ~N or a diff_id prefix');
    }
  }
  try {
    await diffStack('mini', { home });
    assert.unreachable('one build only');
  } catch (error) {
    assert.is((error as DropshipError).code, 'STACK_NO_PREVIOUS_BUILD');
  }
  assert.match(await readFile(join(home.stacks, 'mini', `${info.diffId.slice(7)}.spdx.json`), 'utf8'), '"spdxVersion": "SPDX-2.3"');
});

test.run();
