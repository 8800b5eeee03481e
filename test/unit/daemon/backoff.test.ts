import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nextCrashCount, restartDelayMs } from '../../../src/daemon/backoff.js';

test('three immediate restarts, then 30 s doubling', () => {
  assert.is(restartDelayMs(1), 0);
  assert.is(restartDelayMs(2), 0);
  assert.is(restartDelayMs(3), 0);
  assert.is(restartDelayMs(4), 30_000);
  assert.is(restartDelayMs(5), 60_000);
  assert.is(restartDelayMs(6), 120_000);
  assert.is(restartDelayMs(8), 480_000);
});

test('the wait is capped at 16 minutes and the instance gives up after 200 crashes', () => {
  assert.is(restartDelayMs(9), 16 * 60_000);
  assert.is(restartDelayMs(10), 16 * 60_000);
  assert.is(restartDelayMs(200), 16 * 60_000);
  assert.is(restartDelayMs(201), null);
});

test('five minutes of running forgives earlier crashes', () => {
  assert.is(nextCrashCount(7, 10_000), 8);
  assert.is(nextCrashCount(7, 5 * 60_000), 1);
  assert.is(nextCrashCount(0, 0), 1);
});

test.run();
