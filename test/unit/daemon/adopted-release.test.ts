import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adoptedRelease, type Adoption } from '../../../src/daemon/instance-slot.js';
import type { InstanceStatus } from '../../../src/apps/index.js';

const handle = {} as Adoption['handle'];
const status = (release: number) => ({ release }) as InstanceStatus;

// A scale to release 4 kept instance 0 (same image, env, limits) and marked it release 4; its
// container still carries the label of release 3. Read by the label, a daemon restart would call it
// stale and roll it for nothing.
test('an adopted instance runs the release its status names (a scale marks the instances it kept), not its label', () => {
  assert.is(adoptedRelease({ handle, prior: status(4), started: { release: 3 } }), 4);
});

test('with no status written (started just before the daemon was killed mid-roll), its label says', () => {
  assert.is(adoptedRelease({ handle, started: { release: 5 } }), 5);
  assert.is(adoptedRelease({ handle }), undefined);
});

test.run();
