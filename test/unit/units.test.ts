import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDuration, parseSize, formatBytes } from '../../src/util/units.js';
import { DropshipError } from '../../src/errors.js';

test('parseSize reads Cloud Foundry sizes', () => {
  assert.is(parseSize('256M'), 256 * 1024 * 1024);
  assert.is(parseSize('1G'), 1024 ** 3);
  assert.is(parseSize('512MB'), 512 * 1024 * 1024);
  assert.is(parseSize('64k'), 64 * 1024);
});

test('parseSize names the option on bad input', () => {
  try {
    parseSize('lots', '--memory');
    assert.unreachable('should throw');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as DropshipError).message, "--memory: 'lots' is not a size");
    assert.ok((error as DropshipError).hint);
  }
});

test('parseDuration reads units and bare seconds', () => {
  assert.is(parseDuration('30s'), 30_000);
  assert.is(parseDuration('15m'), 900_000);
  assert.is(parseDuration('60'), 60_000);
  assert.is(parseDuration('250ms'), 250);
  assert.throws(() => parseDuration('soon'), /is not a duration/);
});

test('formatBytes', () => {
  assert.is(formatBytes(512), '512B');
  assert.is(formatBytes(1536), '1.5K');
  assert.is(formatBytes(130 * 1024 * 1024), '130M');
});

test.run();
