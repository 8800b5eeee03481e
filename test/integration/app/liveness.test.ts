import '../../helpers/env.js';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { uniqueName, isRoot } from '../../helpers/env.js';
import { ensureTestImage } from './fixture.js';
import { dropship, eventually, removeApp } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

/**
 * `run -d` with a 1 s liveness interval: the supervisor it spawns inherits this env, so only
 * this test's app is probed fast, and uvu's other files keep DESIGN.md's 30 s.
 */
async function runWithFastLiveness(...args: string[]): Promise<{ exitCode: number; stderr: string }> {
  const env = { ...process.env, DROPSHIP_LIVENESS_INTERVAL: '1000' };
  const result = await execa(process.execPath, ['--import', 'tsx', MAIN, 'run', ...args], { reject: false, env, timeout: 120_000 });
  return { exitCode: result.exitCode ?? -1, stderr: String(result.stderr) };
}

async function instance0(app: string): Promise<{ state: string; restarts: number } | undefined> {
  const ps = await dropship('ps', app, '--json');
  return JSON.parse(ps.stdout)[0]?.instances?.[0];
}

test('an instance that stops answering its health check after start is restarted and healthy again', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const image = await ensureTestImage();
  const app = uniqueName('l1live');
  try {
    // The listener goes away after 4 s while the process stays alive: only a liveness probe can tell.
    const command = 'httpd -f -p "$PORT" -h /tmp & sleep 4; kill $!; exec sleep 1000';
    const run = await runWithFastLiveness(image, '--name', app, '-d', '-c', command, '--health-check-type', 'port');
    assert.is(run.exitCode, 0, run.stderr);
    const restarted = await eventually(async () => {
      const i = await instance0(app);
      return i && i.restarts >= 1 && i.state === 'running' && i;
    }, 'a restart after the liveness check failed');
    assert.ok(restarted.restarts >= 1);
    const logs = (await dropship('logs', app)).stdout;
    const unhealthy = logs.search(/\[HEALTH\/0\] ERR Container became unhealthy/);
    assert.ok(unhealthy >= 0, `no unhealthy message in:\n${logs}`);
    const healthyBefore = logs.indexOf('Container became healthy');
    const healthyAfter = logs.indexOf('Container became healthy', unhealthy);
    assert.ok(healthyBefore >= 0 && healthyBefore < unhealthy, 'healthy before it became unhealthy');
    assert.ok(healthyAfter > unhealthy, `not healthy again after the restart:\n${logs}`);
  } finally {
    await removeApp(app);
  }
});

test.run();
