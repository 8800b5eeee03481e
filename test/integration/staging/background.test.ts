import '../../helpers/env.js';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isRoot, uniqueName } from '../../helpers/env.js';
import { assertNoContainers, BUILDPACKS, inScratch, stageApp } from './helpers.js';

/** Host pids of every process whose environment holds `entry` (the buildpack's helper inherits the staging env). */
async function processesWith(entry: string): Promise<number[]> {
  const found: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(entry)) found.push(Number(pid));
  }
  return found;
}

// No time is asserted: before the fix this staging waited for its 2 minute timeout and failed
// as timed out; the test's own timeout is the guard.
test('a buildpack that leaves `sleep 600 &` holding stdout and stderr: the step ends when bin/compile exits, output kept, the helper killed with the container', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  await inScratch('bg', async ({ out, name }) => {
    const tag = `HOLDER_TAG=${uniqueName('holder')}`;
    const [key, value] = tag.split('=') as [string, string];
    let running: number[] = [];
    const { result, lines } = await stageApp('legacy-app', out, name, {
      buildpacks: [join(BUILDPACKS, 'background-holder')],
      env: { [key]: value },
      network: false,
      onEvent: (event) => {
        // While release runs, compile's helper is still alive in the container: it did hold the pipes.
        if (event.type === 'log' && event.line.includes('compile done')) void processesWith(tag).then((pids) => (running = pids));
      },
    });
    assert.equal(result.processTypes, { web: 'busybox httpd -f -p $PORT' });
    assert.ok(lines.includes('-----> Background Holder Buildpack'), lines.join('\n'));
    assert.ok(lines.some((l) => /^ {7}helper \d+ left running$/.test(l)), 'stdout up to the exit is kept');
    assert.ok(lines.includes('       compile done'), 'stderr up to the exit is kept');
    assert.ok(running.length > 0, 'the helper was running after bin/compile exited');
    assert.equal(await processesWith(tag), [], 'nothing of the buildpack runs once staging is done');
    await assertNoContainers(name);
  });
});

test.run();
