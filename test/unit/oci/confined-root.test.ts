import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfinedRoot, isAtOrBelow, parentOf, Unconfined } from '../../../src/oci/confined-root.js';

let dir = '';
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dropship-confined-'));
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

function refusal(fn: () => unknown): Unconfined {
  try {
    fn();
  } catch (error) {
    if (error instanceof Unconfined) return error;
    throw error;
  }
  assert.unreachable('should refuse');
  throw new Error('unreachable');
}

test('directories resolve component by component; missing ones are made only when asked', () => {
  const tree = new ConfinedRoot(dir);
  const made: string[] = [];
  assert.is(tree.dir('a/b', (abs) => { mkdirSync(abs); made.push(abs); }), join(dir, 'a/b'));
  assert.equal(made, [join(dir, 'a'), join(dir, 'a/b')]);
  assert.ok(tree.isKnownDir('a/b'));
  const missing = refusal(() => tree.dir('c/d'));
  assert.equal([missing.reason, missing.component], ['missing', 'c']);
});

test('a symlink or a file anywhere on the way is refused, naming the component', () => {
  mkdirSync(join(dir, 'real'));
  symlinkSync(join(dir, 'real'), join(dir, 'link'));
  writeFileSync(join(dir, 'file'), '');
  const tree = new ConfinedRoot(dir);
  assert.equal([refusal(() => tree.dir('link/x')).reason, refusal(() => tree.dir('link/x')).component], ['symlink', 'link']);
  assert.is(refusal(() => tree.child('link/x/y')).component, 'link');
  assert.is(refusal(() => tree.dir('file')).reason, 'not-a-directory');
  // The last component of child() is not looked at: the caller uses it without following.
  assert.is(tree.child('link'), join(dir, 'link'));
});

test('forget() drops a directory and everything below it from the cache', async () => {
  const tree = new ConfinedRoot(dir);
  tree.dir('a/b/c', (abs) => mkdirSync(abs));
  tree.dir('ab', (abs) => mkdirSync(abs));
  await rm(join(dir, 'a'), { recursive: true });
  symlinkSync(dir, join(dir, 'a'));
  tree.forget('a');
  assert.not.ok(tree.isKnownDir('a/b'));
  assert.ok(tree.isKnownDir('ab'), 'a sibling sharing the prefix stays');
  assert.is(refusal(() => tree.dir('a/b')).reason, 'symlink');
});

test('a root that is a symlink, a file or missing is refused', () => {
  symlinkSync(dir, join(dir, 'self'));
  writeFileSync(join(dir, 'file'), '');
  assert.is(refusal(() => new ConfinedRoot(join(dir, 'self'))).reason, 'symlink');
  assert.is(refusal(() => new ConfinedRoot(join(dir, 'file'))).reason, 'not-a-directory');
  assert.is(refusal(() => new ConfinedRoot(join(dir, 'none'))).reason, 'missing');
});

test('path helpers', () => {
  assert.is(parentOf('a/b/c'), 'a/b');
  assert.is(parentOf('a'), '');
  assert.ok(isAtOrBelow('a/b', 'a'));
  assert.ok(isAtOrBelow('a', 'a'));
  assert.ok(isAtOrBelow('x', ''));
  assert.not.ok(isAtOrBelow('ab', 'a'));
});

test.run();
