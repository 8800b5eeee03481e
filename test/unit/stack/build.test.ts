import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { homePaths, type HomePaths } from '../../../src/home.js';
import { openStore } from '../../../src/oci/index.js';
import { buildStack, ensureStack, getStack, knownStacks, listStacks } from '../../../src/stack/index.js';
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

test.run();
