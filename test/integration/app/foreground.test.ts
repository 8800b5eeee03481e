import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { uniqueName, isRoot } from '../../helpers/env.js';
import { ensureTestImage } from './fixture.js';
import { httpGet, leftovers, removeApp } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

test('run without -d prints the logs and Ctrl-C stops everything cleanly', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const image = await ensureTestImage();
  const app = uniqueName('h6fg');
  const child = execa(process.execPath, ['--import', 'tsx', MAIN, 'run', image, '--name', app, '-p', '0', '--stop-timeout', '3'], {
    reject: false,
    env: process.env,
    timeout: 120_000,
  });
  try {
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Container became healthy')) resolve();
      });
      child.once('exit', () => reject(new Error(`run exited early: ${output}`)));
    });
    assert.match(output, /\[APP\/PROC\/WEB\/0\] OUT web instance 0 listening on 8080/);
    const spec = JSON.parse((await execa(process.execPath, ['--import', 'tsx', MAIN, 'ps', app, '--json'], { env: process.env })).stdout)[0];
    assert.is((await httpGet(spec.hostPort)).body.trim(), 'instance 0');
    child.kill('SIGINT');
    const result = await child;
    assert.is(result.exitCode, 0, String(result.stderr));
    assert.match(String(result.stdout), /\[CELL\/0\] OUT Exit status 0/);
    const left = await leftovers(app);
    assert.equal(left.filter((l) => l !== 'app dir'), []);
  } finally {
    child.kill('SIGKILL');
    await removeApp(app);
  }
});

test.run();
