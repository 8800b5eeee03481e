import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { normalizeStagingOptions } from '../../../src/staging/options.js';

test('defaults: tiny, 15m, 1G, droplet.tgz and result.json beside it, name from the directory', () => {
  const opts = normalizeStagingOptions({ appDir: '/src/My App!' });
  assert.is(opts.stack, 'tiny');
  assert.is(opts.name, 'My-App-');
  assert.is(opts.timeoutMs, 15 * 60_000);
  assert.is(opts.memoryBytes, 1024 ** 3);
  assert.is(opts.dropletPath, join(process.cwd(), 'droplet.tgz'));
  assert.is(opts.resultPath, join(process.cwd(), 'result.json'));
  assert.equal(opts.limits, { timeout: '15m', memory: '1.0G', output: '256M', disk: '4.0G' });
  assert.is(opts.diskBytes, 4 * 1024 ** 3, 'staging gets 4G of disk by default');
  assert.is(opts.network, true, 'staging gets the staging security groups unless told otherwise');
  assert.is(normalizeStagingOptions({ appDir: '/src/app', network: false }).network, false);
});

test('result.json goes beside an explicit droplet', () => {
  const opts = normalizeStagingOptions({ appDir: '/a', dropletPath: '/out/app.tgz', timeout: '90s', memory: '512M' });
  assert.is(opts.resultPath, '/out/result.json');
  assert.is(opts.limits.timeout, '90s');
});

test('bad values name the option and the value', () => {
  assert.throws(() => normalizeStagingOptions({ appDir: '/a', timeout: 'soon' }), /--timeout: 'soon' is not a duration/);
  assert.throws(() => normalizeStagingOptions({ appDir: '/a', memory: '1X' }), /--memory: '1X' is not a size/);
  assert.throws(() => normalizeStagingOptions({ appDir: '/a', memory: '1M' }), /--memory: '1M' is less than the 16M staging needs/);
  assert.throws(() => normalizeStagingOptions({ appDir: '/a', name: '../x' }), /--name: '..\/x' is not a valid app name/);
  assert.throws(() => normalizeStagingOptions({ appDir: '/a', stack: 'Bad Stack' }), /--stack: 'Bad Stack' is not a stack name/);
  assert.throws(() => normalizeStagingOptions({ appDir: '/a', command: '  ' }), /--command is empty/);
});

test.run();
