import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { awaitDrained, connectionsTo, DRAIN_SETTLE_MS, openConnections } from '../../../src/daemon/drain.js';
import type { Clock } from '../../../src/daemon/health.js';

// /proc/net/tcp as the kernel writes it: httpd listening on 8080 (1F90), one request in flight,
// one answered (TIME_WAIT), one half-closed by the app (FIN_WAIT2), one outbound connection from
// an ephemeral port, and one answer whose last bytes are unacknowledged (FIN_WAIT1).
const TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  2000        0 1 1 0000000000000000 100 0 0 10 0
   1: 1200FE0A:1F90 0100FE0A:A1B2 01 00000000:00000000 00:00000000 00000000  2000        0 2 1 0000000000000000 20 4 30 10 -1
   2: 1200FE0A:1F90 0100FE0A:A1B3 06 00000000:00000000 03:00000F3D 00000000     0        0 0 3 0000000000000000
   3: 1200FE0A:1F90 0100FE0A:A1B4 05 00000000:00000000 00:00000000 00000000     0        0 0 3 0000000000000000
   4: 1200FE0A:A1B5 0100FE0A:1F90 01 00000000:00000000 00:00000000 00000000  2000        0 5 1 0000000000000000 20 4 30 10 -1
   5: 1200FE0A:1F90 0100FE0A:A1B6 04 00000100:00000000 01:00000014 00000000     0        0 0 3 0000000000000000
`;

test('open connections are those to the port in a state that may still carry a request or its answer', () => {
  assert.is(openConnections(TABLE, 8080), 2);
  assert.is(openConnections(TABLE, 80), 0);
  assert.is(openConnections('', 8080), 0);
});

test('a process that is gone has nothing left to drain; one never known cannot be counted', async () => {
  // Past pid_max: no such process.
  assert.is(await connectionsTo(2 ** 22 + 1, 8080), 0);
  assert.is(await connectionsTo(0, 8080), undefined);
  // This process listens on nothing of that port, but its tables are read.
  assert.type(await connectionsTo(process.pid, 65000), 'number');
});

/** A clock whose sleeps pass at once, recording them. */
function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  const clock: Clock = { now: () => now, sleep: async (ms) => void (sleeps.push(ms), (now += ms)) };
  return { clock, sleeps, now: () => now };
}

test('the drain ends once no connection is open, after the settle time', async () => {
  const c = fakeClock();
  const counts = [2, 1, 0];
  await awaitDrained(async () => counts.shift(), 1000, c.clock);
  assert.is(c.sleeps[0], DRAIN_SETTLE_MS);
  assert.is(counts.length, 0);
  assert.ok(c.now() < 1000);
});

test('connections that never close, or that cannot be counted, get the whole bound and no more', async () => {
  const open = fakeClock();
  await awaitDrained(async () => 1, 1000, open.clock);
  assert.is(open.now(), 1000);
  const unknown = fakeClock();
  await awaitDrained(async () => undefined, 1000, unknown.clock);
  assert.is(unknown.now(), 1000);
  const short = fakeClock();
  await awaitDrained(async () => 0, 40, short.clock);
  assert.is(short.now(), 40);
});

test.run();
