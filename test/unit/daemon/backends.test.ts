import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AppBackends, type DataPathWriter } from '../../../src/daemon/backends.js';
import type { Backend } from '../../../src/network/index.js';

function recorder(): DataPathWriter & { writes: string[][]; removed: number } {
  const writer = {
    writes: [] as string[][],
    removed: 0,
    async set(list: Backend[]) {
      writer.writes.push(list.map((b) => `${b.ip}:${b.port}`).sort());
    },
    async remove() {
      writer.removed++;
    },
  };
  return writer;
}

test('each change writes the whole healthy set; an unchanged set is not written again', async () => {
  const writer = recorder();
  const backends = new AppBackends(writer, (e) => assert.unreachable(e.message));
  await backends.add('a', { ip: '10.0.0.2', port: 8080 });
  await backends.add('b', { ip: '10.0.0.3', port: 8080 });
  await backends.add('b', { ip: '10.0.0.3', port: 8080 });
  await backends.remove('a');
  await backends.remove('a');
  assert.equal(writer.writes, [['10.0.0.2:8080'], ['10.0.0.2:8080', '10.0.0.3:8080'], ['10.0.0.3:8080']]);
});

test('while held (adoption) nothing is written; release writes the set as it is then', async () => {
  const writer = recorder();
  const backends = new AppBackends(writer, (e) => assert.unreachable(e.message));
  backends.hold();
  await backends.add('a', { ip: '10.0.0.2', port: 8080 });
  await backends.add('b', { ip: '10.0.0.3', port: 8080 });
  assert.equal(writer.writes, []);
  await backends.release();
  assert.equal(writer.writes, [['10.0.0.2:8080', '10.0.0.3:8080']]);
});

test('close removes the rules; detach leaves them; neither writes afterwards', async () => {
  const closed = recorder();
  const a = new AppBackends(closed, (e) => assert.unreachable(e.message));
  await a.add('a', { ip: '10.0.0.2', port: 8080 });
  await a.close();
  await a.add('b', { ip: '10.0.0.3', port: 8080 });
  assert.is(closed.removed, 1);
  assert.is(closed.writes.length, 1);
  const detached = recorder();
  const b = new AppBackends(detached, (e) => assert.unreachable(e.message));
  await b.add('a', { ip: '10.0.0.2', port: 8080 });
  await b.detach();
  await b.remove('a');
  assert.is(detached.removed, 0);
  assert.equal(detached.writes, [['10.0.0.2:8080']]);
});

test('a failed write is reported, and the next change is still written', async () => {
  const errors: string[] = [];
  let fail = true;
  const writes: number[] = [];
  const backends = new AppBackends(
    {
      set: async (list) => {
        if (fail) throw new Error('iptables-restore: exit 4');
        writes.push(list.length);
      },
      remove: async () => undefined,
    },
    (e) => errors.push(e.message),
  );
  await backends.add('a', { ip: '10.0.0.2', port: 8080 });
  fail = false;
  await backends.add('b', { ip: '10.0.0.3', port: 8080 });
  assert.equal(errors, ['iptables-restore: exit 4']);
  assert.equal(writes, [2]);
});

test('remove resolves only after the rules changed, and says whether the instance was in them', async () => {
  const order: string[] = [];
  const backends = new AppBackends(
    { set: async (list) => void order.push(`set ${list.length}`), remove: async () => undefined },
    (e) => assert.unreachable(e.message),
  );
  await backends.add('a', { ip: '10.0.0.2', port: 8080 });
  assert.ok(await backends.remove('a'));
  order.push('removed');
  assert.equal(order, ['set 1', 'set 0', 'removed']);
  assert.not.ok(await backends.remove('a'));
});

test.run();
