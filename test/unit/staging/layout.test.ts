import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildpackMount, depsIndex } from '../../../src/staging/layout.js';

test('deps index is padded to the digit count of the number of buildpacks', () => {
  assert.is(depsIndex(0, 1), '0');
  assert.is(depsIndex(2, 9), '2');
  assert.is(depsIndex(0, 10), '00');
  assert.is(depsIndex(9, 10), '09');
  assert.is(depsIndex(42, 100), '042');
});

test('buildpacks are mounted by number under /tmp/buildpacks', () => {
  assert.is(buildpackMount(3), '/tmp/buildpacks/3');
});

test.run();
