import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyTreeNoFollow } from '../../../src/util/copy-tree.js';
import { sanitizeTree } from '../../../src/util/no-follow.js';

const owner = { uid: process.getuid!(), gid: process.getgid!() };
const keep = (mode: number) => mode & 0o777;

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-copytree-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('copies files byte for byte (small and larger than one chunk), links as links, modes without setuid', () => inTemp(async (dir) => {
  const src = join(dir, 'src');
  await mkdir(join(src, 'a', 'b'), { recursive: true });
  const big = randomBytes(3 * 1024 * 1024 + 17);
  await writeFile(join(src, 'a', 'big'), big);
  await writeFile(join(src, 'a', 'b', 'small'), 'hello');
  await writeFile(join(src, 'empty'), '');
  await chmod(join(src, 'a', 'b', 'small'), 0o4755);
  await symlink('../../etc/passwd', join(src, 'a', 'link'));
  execFileSync('mkfifo', [join(src, 'pipe')]);
  const result = await copyTreeNoFollow(src, join(dir, 'out'), { owner, mode: keep });
  assert.equal({ files: result.files, bytes: result.bytes, skipped: result.skipped }, { files: 3, bytes: big.length + 5, skipped: ['pipe'] });
  assert.ok(Buffer.compare(await readFile(join(dir, 'out', 'a', 'big')), big) === 0);
  assert.is(await readFile(join(dir, 'out', 'a', 'b', 'small'), 'utf8'), 'hello');
  assert.is((await lstat(join(dir, 'out', 'a', 'b', 'small'))).mode & 0o7777, 0o755);
  assert.is(await readlink(join(dir, 'out', 'a', 'link')), '../../etc/passwd');
}));

test('ignore gets relative paths; the source root itself may not be a link', () => inTemp(async (dir) => {
  const src = join(dir, 'src');
  await mkdir(join(src, 'skip'), { recursive: true });
  await writeFile(join(src, 'skip', 'x'), 'x');
  await writeFile(join(src, 'keep'), 'k');
  const seen: string[] = [];
  const result = await copyTreeNoFollow(src, join(dir, 'out'), { owner, mode: keep, ignore: (rel, isDir) => (seen.push(`${rel}${isDir ? '/' : ''}`), rel === 'skip') });
  assert.is(result.files, 1);
  assert.equal(seen.sort(), ['keep', 'skip/']);
  await symlink(src, join(dir, 'linked'));
  try {
    await copyTreeNoFollow(join(dir, 'linked'), join(dir, 'out2'), { owner, mode: keep });
    assert.unreachable('a linked root is refused');
  } catch (error) {
    assert.match((error as Error).message, /linked changed into a symlink/);
  }
}));

test('sanitizeTree: strips setuid/setgid, removes fifos, keeps links without following them', () => inTemp(async (dir) => {
  const outside = join(dir, 'outside');
  await writeFile(outside, 'x', { mode: 0o4755 });
  await chmod(outside, 0o4755);
  const tree = join(dir, 'tree');
  await mkdir(join(tree, 'd'), { recursive: true });
  await writeFile(join(tree, 'd', 'f'), 'x');
  await chmod(join(tree, 'd', 'f'), 0o6755);
  await chmod(join(tree, 'd'), 0o2755);
  await symlink(outside, join(tree, 'link'));
  execFileSync('mkfifo', [join(tree, 'd', 'pipe')]);
  assert.equal(await sanitizeTree(tree), ['d/pipe']);
  assert.is((await lstat(join(tree, 'd', 'f'))).mode & 0o7777, 0o755);
  assert.is((await lstat(join(tree, 'd'))).mode & 0o7777, 0o755);
  assert.is((await lstat(outside)).mode & 0o7777, 0o4755, 'the link target is untouched');
}));

test.run();
