import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { monitorHealth, startupFailedMessage, type Clock, type HealthOutcome } from '../../../src/daemon/health.js';

/** A clock whose sleeps return at once and move time forward; records every sleep. */
function fakeClock(): Clock & { sleeps: number[]; time: number } {
  const clock = {
    time: 0,
    sleeps: [] as number[],
    now: () => clock.time,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      clock.sleeps.push(ms);
      clock.time += ms;
    },
  };
  return clock;
}

test('startup probes come fast at first, then every 2 s, and fail after the start timeout with the message of DESIGN.md', async () => {
  const clock = fakeClock();
  const probeTimes: number[] = [];
  let healthy = false;
  const outcome = await monitorHealth({
    type: 'port',
    probe: async () => {
      probeTimes.push(clock.time);
      return false;
    },
    clock,
    signal: new AbortController().signal,
    onHealthy: () => (healthy = true),
  });
  assert.equal(outcome, { kind: 'startup-failed', message: 'Failed after 60s: startup health check never passed.' });
  assert.is(healthy, false);
  assert.equal(probeTimes.slice(0, 10), [0, 5, 15, 35, 75, 155, 315, 635, 1275, 2555]);
  assert.equal(clock.sleeps.slice(0, 9), [5, 10, 20, 40, 80, 160, 320, 640, 1280]);
  assert.ok(clock.sleeps.every((ms) => ms <= 2000));
  assert.is(probeTimes.at(-1), 60_000);
});

test('a short start timeout shows in the message', () => {
  assert.is(startupFailedMessage(4000), 'Failed after 4s: startup health check never passed.');
  assert.is(startupFailedMessage(2500), 'Failed after 2.5s: startup health check never passed.');
});

test('healthy once a probe passes, then liveness every 30 s until a probe fails', async () => {
  const clock = fakeClock();
  const answers = [false, false, true, true, true, false];
  const probeTimes: number[] = [];
  let healthyAt = -1;
  const outcome = await monitorHealth({
    type: 'http',
    probe: async () => {
      probeTimes.push(clock.time);
      return answers.shift() ?? false;
    },
    clock,
    signal: new AbortController().signal,
    onHealthy: () => (healthyAt = clock.time),
  });
  assert.is(healthyAt, 15);
  assert.equal(probeTimes, [0, 5, 15, 30_015, 60_015, 90_015]);
  assert.equal(outcome, { kind: 'unhealthy', message: 'Container became unhealthy' });
});

test('a process check is healthy at once and ends only when stopped', async () => {
  const controller = new AbortController();
  let healthy = false;
  const running = monitorHealth({
    type: 'process',
    probe: async () => false,
    clock: fakeClock(),
    signal: controller.signal,
    onHealthy: () => (healthy = true),
  });
  await new Promise((r) => setImmediate(r));
  assert.is(healthy, true);
  controller.abort();
  assert.equal(await running, { kind: 'stopped' } satisfies HealthOutcome);
});

test('stopping during startup ends the monitor without a verdict', async () => {
  const controller = new AbortController();
  const clock = fakeClock();
  const outcome = await monitorHealth({
    type: 'port',
    probe: async () => {
      if (clock.time >= 3000) controller.abort();
      return false;
    },
    clock,
    signal: controller.signal,
    onHealthy: () => assert.unreachable('never healthy'),
  });
  assert.equal(outcome, { kind: 'stopped' });
});

test.run();
