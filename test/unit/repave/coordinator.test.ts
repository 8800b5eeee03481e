import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRepave, type RepaveEvent, type RepaveSeams } from '../../../src/repave/coordinator.js';
import type { RepaveItem } from '../../../src/repave/plan.js';

const item = (app: string): RepaveItem => ({ app, release: 1, image: `${app}:v1`, imageDigest: 'sha256:old', stack: 'tiny', stackDiffId: 'sha256:a', target: 'sha256:b', behind: 1 });

/** Seams that record the calls and hold each app's release in a promise the test resolves: no timing involved. */
function fakeSeams(failRoll: Set<string> = new Set(), failRebase: Set<string> = new Set()) {
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const gates = new Map<string, () => void>();
  const started: string[] = [];
  const waiters: Array<() => void> = [];
  const seams: RepaveSeams = {
    async rebase(i) {
      calls.push(`rebase ${i.app}`);
      if (failRebase.has(i.app)) throw new Error(`layer of ${i.app} missing`);
      return `sha256:new-${i.app}`;
    },
    async release(i, digest) {
      calls.push(`release ${i.app} ${digest}`);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      started.push(i.app);
      for (const w of waiters.splice(0)) w();
      await new Promise<void>((resolve) => gates.set(i.app, resolve));
      inFlight--;
      if (failRoll.has(i.app)) throw new Error(`instance 0 of ${i.app}: Failed after 60s: startup health check never passed.\nmore`);
      return { release: i.release + 1 };
    },
    async rollback(i) {
      calls.push(`rollback ${i.app}`);
      return { release: i.release + 2 };
    },
  };
  const untilStarted = async (n: number) => {
    while (started.length < n) await new Promise<void>((r) => waiters.push(r));
  };
  const open = (app: string) => gates.get(app)!();
  return { seams, calls, untilStarted, open, max: () => maxInFlight, started };
}

test('at most N apps at a time; each rebased then rolled; results in input order', async () => {
  const f = fakeSeams();
  const items = ['a', 'b', 'c', 'd', 'e'].map(item);
  const run = runRepave(items, f.seams, { parallel: 2 });
  await f.untilStarted(2);
  assert.equal(f.started, ['a', 'b']);
  f.open('b');
  await f.untilStarted(3);
  f.open('a');
  await f.untilStarted(4);
  f.open('c');
  await f.untilStarted(5);
  f.open('d');
  f.open('e');
  const results = await run;
  assert.is(f.max(), 2);
  assert.equal(results.map((r) => [r.app, r.outcome, r.release, r.imageDigest]), ['a', 'b', 'c', 'd', 'e'].map((a) => [a, 'repaved', 2, `sha256:new-${a}`]));
  assert.ok(f.calls.indexOf('rebase c') > f.calls.indexOf('release b sha256:new-b'));
});

test('an app whose instances fail is rolled back and reported; a failed rebase changes nothing; the others continue', async () => {
  const f = fakeSeams(new Set(['b']), new Set(['c']));
  const events: RepaveEvent[] = [];
  const run = runRepave(['a', 'b', 'c'].map(item), f.seams, { parallel: 3, onEvent: (e) => events.push(e) });
  await f.untilStarted(2);
  f.open('a');
  f.open('b');
  const results = await run;
  assert.equal(results.map((r) => [r.app, r.outcome, r.release]), [['a', 'repaved', 2], ['b', 'rolled back', 3], ['c', 'failed', 1]]);
  assert.is(results[1]!.error, 'instance 0 of b: Failed after 60s: startup health check never passed.');
  assert.is(results[2]!.error, 'rebase: layer of c missing');
  assert.ok(!f.calls.includes('release c sha256:new-c'));
  assert.equal(events.filter((e) => e.app === 'b').map((e) => e.step), ['waiting', 'rebasing', 'rolling', 'rolling back', 'rolled back']);
});

test('an abort starts no further app and lets the ones in flight finish', async () => {
  const f = fakeSeams();
  const abort = new AbortController();
  const run = runRepave(['a', 'b', 'c', 'd'].map(item), f.seams, { parallel: 2, signal: abort.signal });
  await f.untilStarted(2);
  abort.abort();
  f.open('a');
  f.open('b');
  const results = await run;
  assert.equal(results.map((r) => [r.app, r.outcome]), [['a', 'repaved'], ['b', 'repaved'], ['c', 'not started'], ['d', 'not started']]);
  assert.equal(f.calls.filter((c) => c.startsWith('rebase')), ['rebase a', 'rebase b']);
});

test.run();
