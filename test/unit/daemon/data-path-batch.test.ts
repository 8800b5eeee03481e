import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DataPathBatch } from '../../../src/daemon/data-path-batch.js';
import type { DataPathChange } from '../../../src/network/index.js';

const change = (owner: string, n: number): DataPathChange => ({ owner, hostPort: 1, backends: Array.from({ length: n }, (_, i) => ({ ip: `10.0.0.${i + 2}`, port: 8080 })) });
const summary = (changes: DataPathChange[]) => changes.map((c) => `${c.owner}:${c.backends.length}`).join(' ');

test('the first write goes at once; those that arrive while it runs go together, each owner with its latest set', async () => {
  const writes: string[] = [];
  let finish!: () => void;
  let first = true;
  const batch = new DataPathBatch(async (changes) => {
    writes.push(summary(changes));
    if (first) {
      first = false;
      await new Promise<void>((resolve) => (finish = resolve));
    }
  });
  const a = batch.set(change('a', 1));
  const b1 = batch.set(change('b', 1));
  const c = batch.set(change('c', 2));
  const b2 = batch.set(change('b', 2));
  assert.equal(writes, ['a:1']);
  finish();
  await Promise.all([a, b1, c, b2]);
  assert.equal(writes, ['a:1', 'b:2 c:2']);
});

test('a failed batch is retried owner by owner: only the owner at fault gets the error', async () => {
  const writes: string[] = [];
  let hold!: () => void;
  let first = true;
  const batch = new DataPathBatch(async (changes) => {
    writes.push(summary(changes));
    if (first) {
      first = false;
      await new Promise<void>((resolve) => (hold = resolve));
    }
    if (changes.some((c) => c.owner === 'bad')) throw new Error('port not reserved');
  });
  const a = batch.set(change('a', 1));
  const good = batch.set(change('good', 1));
  const bad = batch.set(change('bad', 1)).then(() => 'written', (error: Error) => error.message);
  hold();
  await Promise.all([a, good]);
  assert.is(await bad, 'port not reserved');
  assert.equal(writes, ['a:1', 'good:1 bad:1', 'good:1', 'bad:1']);
  // The writer is free again afterwards.
  await batch.set(change('a', 0));
  assert.is(writes.at(-1), 'a:0');
});

test.run();
