import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { imageTag, pushSucceeded, pushSummary, type PushWork } from '../../../src/push/push.js';
import { planPush } from '../../../src/push/push-options.js';

const [plan] = planPush({ path: '.', name: 'Hello' });

function work(healthy: number[], overrides: Partial<PushWork> = {}): PushWork {
  return {
    plan: plan!,
    dir: '/nonexistent',
    staged: { droplet: 'd', result: 'r', buildpacks: ['nodejs 0.1.0'], processTypes: { web: 'npm start' } },
    image: { ref: imageTag('Hello'), digest: 'sha256:00', startCommand: 'npm start', processTypes: { web: 'npm start' }, warnings: [] },
    processes: healthy.map((h, i) => ({
      type: i === 0 ? 'web' : 'worker', state: 'running', healthy: h, requested: 1, memoryBytes: 1, diskBytes: 1,
    })),
    release: 1,
    url: 'http://127.0.0.1:61001',
    timings: { stack: 1, stage: 2, image: 3, start: 4 },
    ...overrides,
  };
}

test('image tags are under dropship-apps/, one per app name', () => {
  assert.is(imageTag('hello'), 'dropship-apps/hello:latest');
  assert.is(imageTag('Hello'), 'dropship-apps/by-name:Hello');
});

test('a push succeeds only when every process has its requested healthy instances', () => {
  const good = pushSummary(work([1, 1]));
  assert.is(good.state, 'running');
  assert.is(good.url, 'http://127.0.0.1:61001');
  assert.equal(good.buildpacks, ['nodejs 0.1.0']);
  assert.is(good.startCommand, 'npm start');
  assert.ok(pushSucceeded(good, plan!));
  const bad = pushSummary(work([1, 0]));
  assert.is(bad.state, 'degraded');
  assert.is(pushSummary(work([0])).state, 'crashed');
  assert.not.ok(pushSucceeded(bad, plan!));
  assert.not.ok(pushSucceeded(pushSummary(work([])), plan!), 'nothing started is not a success');
});

test('--no-start succeeds with nothing started and says stopped', () => {
  const noStart = { ...plan!, noStart: true };
  const summary = pushSummary(work([], { plan: noStart }));
  assert.is(summary.state, 'stopped');
  assert.ok(pushSucceeded(summary, noStart));
});

test.run();
