import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { uniqueName, isRoot } from '../../helpers/env.js';
import { ensureTestImage } from './fixture.js';
import { dropship, eventually, removeApp } from './helpers.js';

test('a memory hog is OOM-killed, logged "(out of memory)", and restarted', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const image = await ensureTestImage();
  const app = uniqueName('h6hog');
  try {
    await dropship('run', image, '--name', app, '-d', '-m', '32M', '-c', 'sh /app/hog.sh', '--health-check-type', 'process');
    const logs = await eventually(async () => {
      const text = (await dropship('logs', app)).stdout;
      return /Exit status 137 \(out of memory\)/.test(text) && text;
    }, 'the OOM kill in the logs', 60, 500);
    assert.match(logs, /\[APP\/PROC\/WEB\/0\] OUT eating memory/);
    assert.match(logs, /\[CELL\/0\] ERR Exit status 137 \(out of memory\)/);
    const instance = await eventually(async () => {
      const [summary] = JSON.parse((await dropship('ps', app, '--json')).stdout);
      return summary.instances[0]?.lastExit && summary.instances[0];
    }, 'ps to show the exit');
    assert.is(instance.lastExit, 'Exit status 137 (out of memory)');
  } finally {
    await removeApp(app);
  }
});

test.run();
