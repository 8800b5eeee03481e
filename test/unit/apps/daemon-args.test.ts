import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loaderArgs } from '../../../src/apps/daemon-client.js';

test('the daemon inherits loader flags only, never the parent program', () => {
  assert.equal(loaderArgs(['--import', 'tsx', '-e', 'console.log(1)']), ['--import', 'tsx']);
  assert.equal(loaderArgs(['--import=tsx', '--test', '--max-old-space-size=64']), ['--import=tsx']);
  assert.equal(loaderArgs(['--require', './hook.cjs', '--loader', 'ts-node/esm']), ['--require', './hook.cjs', '--loader', 'ts-node/esm']);
  assert.equal(loaderArgs([]), []);
});

test.run();
