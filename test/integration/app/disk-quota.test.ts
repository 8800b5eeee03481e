import '../../helpers/env.js';
import { stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { uniqueName, isRoot } from '../../helpers/env.js';
import { homePaths } from '../../../src/home.js';
import { ensureTestImage } from './fixture.js';
import { dropship, httpGet, removeApp } from './helpers.js';

test('an instance writing past its disk quota gets ENOSPC inside', async () => {
  if (!isRoot) return console.log('skip: needs root for runc and loop mounts');
  const image = await ensureTestImage();
  const app = uniqueName('h6disk');
  try {
    const run = await dropship('run', image, '--name', app, '-d', '-k', '32M', '--json');
    assert.is(run.exitCode, 0, run.stderr);
    const { hostPort, instances } = JSON.parse(run.stdout);
    // The writable layer is a filesystem of its own, the quota's size: the host's disk is not the one filling up.
    const bundle = join(homePaths().containers, instances[0].containerId);
    assert.is.not((await stat(join(bundle, 'disk', 'upper'))).dev, (await stat(bundle)).dev);
    const quota = await statfs(join(bundle, 'disk'));
    assert.ok(quota.blocks * quota.bsize <= 32 * 1024 * 1024, `quota filesystem of ${quota.blocks * quota.bsize} bytes`);
    const answer = (await httpGet(hostPort, '/cgi-bin/write?64', 30_000)).body;
    assert.match(answer, /No space left on device/);
    assert.match(answer, /exit=1/);
    const small = (await httpGet(hostPort, '/cgi-bin/write?4', 30_000)).body;
    assert.match(small, /exit=0/);
  } finally {
    await removeApp(app);
  }
});

test.run();
