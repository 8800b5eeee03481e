import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { currentOwner, formatOwner, ownerAlive, parseOwner } from '../../../src/util/owner.js';

test('the running process is its own live owner; the same pid with another start time is not', async () => {
  const me = await currentOwner();
  assert.match(me.start, /^\d+$/);
  assert.equal(parseOwner(formatOwner(me)), me);
  assert.ok(await ownerAlive(me));
  assert.not.ok(await ownerAlive({ pid: me.pid, start: String(Number(me.start) + 1) }), 'a reused pid is not the owner');
});

test('anything but pid:start is no owner', () => {
  for (const text of [undefined, '', '12', '12:', 'a:1', '1:2:3']) assert.is(parseOwner(text), undefined, String(text));
});

test.run();
