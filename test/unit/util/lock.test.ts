import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLock } from '../../../src/util/lock.js';

/** The error `promise` rejects with (it must reject). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}

let dir: string;
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dropship-lock-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('callers in one process hold the lock one after another, in the order they asked', async () => {
  const path = join(dir, 'order.lock');
  const events: string[] = [];
  const holder = (name: string) =>
    withLock(path, async () => {
      events.push(`${name} in`);
      assert.is(await readFile(path, 'utf8'), String(process.pid), 'the lock file is held while inside');
      await new Promise((r) => setImmediate(r));
      events.push(`${name} out`);
      return name;
    });
  assert.equal(await Promise.all([holder('a'), holder('b'), holder('c')]), ['a', 'b', 'c']);
  assert.equal(events, ['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
  assert.not.ok(await access(path).then(() => true, () => false), 'the file is gone after the last');
});

test('a caller that throws hands the lock on to the next', async () => {
  const path = join(dir, 'throw.lock');
  const failing = withLock(path, async () => {
    throw new Error('boom');
  });
  const next = withLock(path, async () => 'next ran');
  assert.is((await rejection(failing)).message, 'boom');
  assert.is(await next, 'next ran');
});

test('a lock file held by another living process keeps callers out until it is given back', async () => {
  const path = join(dir, 'other.lock');
  // Another process takes the file (as withLock does) and gives it back on a line on stdin.
  const other = spawn(process.execPath, ['-e', `
    const fs = require('node:fs');
    fs.writeFileSync(${JSON.stringify(path)}, String(process.pid), { flag: 'wx' });
    process.stdout.write('held\\n');
    process.stdin.once('data', () => { fs.rmSync(${JSON.stringify(path)}); process.exit(0); });
  `], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve) => other.stdout!.once('data', resolve));
  let inside = false;
  const waiting = withLock(path, async () => (inside = true));
  await new Promise((r) => setTimeout(r, 200));
  assert.not.ok(inside, 'not taken while the other process holds it');
  other.stdin!.write('go\n');
  await waiting;
  assert.ok(inside);
});

test('a timed-out waiter fails with LOCK_TIMEOUT and does not let the next one in early', async () => {
  const path = join(dir, 'timeout.lock');
  let release!: () => void;
  const holding = withLock(path, () => new Promise<void>((resolve) => (release = resolve)));
  const impatient = withLock(path, async () => 'never', { timeoutMs: 50 });
  const events: string[] = [];
  const patient = withLock(path, async () => void events.push('patient in'));
  assert.is((await rejection(impatient)).code, 'LOCK_TIMEOUT');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(events, [], 'still held by the first');
  release();
  await holding;
  await patient;
  assert.equal(events, ['patient in']);
});

test.run();
