import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { awaitingNetwork } from '../../../src/sandbox/await-network.js';

test('the command runs after the wait, with its arguments intact', () => {
  const args = awaitingNetwork(['/lifecycle/launcher', 'node server.js "a b"']);
  assert.is(args[0], '/bin/sh');
  assert.match(args[2]!, /exec "\$@"$/);
  assert.equal(args.slice(4), ['/lifecycle/launcher', 'node server.js "a b"']);
});

test.run();
