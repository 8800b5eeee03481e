import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isDropshipError } from '../../../src/errors.js';
import { livenessIntervalFromEnv } from '../../../src/apps/liveness-env.js';

test('unset or empty keeps the default', () => {
  assert.is(livenessIntervalFromEnv({}), undefined);
  assert.is(livenessIntervalFromEnv({ DROPSHIP_LIVENESS_INTERVAL: '' }), undefined);
});

test('a bare number is milliseconds; a duration uses its unit', () => {
  assert.is(livenessIntervalFromEnv({ DROPSHIP_LIVENESS_INTERVAL: '1000' }), 1000);
  assert.is(livenessIntervalFromEnv({ DROPSHIP_LIVENESS_INTERVAL: '1.5s' }), 1500);
  assert.is(livenessIntervalFromEnv({ DROPSHIP_LIVENESS_INTERVAL: '250ms' }), 250);
});

test('a bad or non-positive value is a DropshipError naming the variable', () => {
  for (const value of ['soon', '0', '0s', '-5', '1 parsec']) {
    try {
      livenessIntervalFromEnv({ DROPSHIP_LIVENESS_INTERVAL: value });
      assert.unreachable(`accepted ${value}`);
    } catch (error) {
      assert.ok(isDropshipError(error), `not a DropshipError for ${value}`);
      assert.is((error as { code: string }).code, 'INVALID_LIVENESS_INTERVAL');
      assert.match((error as Error).message, /DROPSHIP_LIVENESS_INTERVAL: '.*' is not a positive duration/);
    }
  }
});

test.run();
