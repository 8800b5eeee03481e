import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { StagingEvent } from '../../../src/staging/index.js';
import { assertNoContainers, inScratch, stageApp, stageFails } from './helpers.js';

/** Stage with the built-in detect order and stop as soon as detection is done: which buildpack won. */
async function detected(app: string, stack = 'tiny'): Promise<string | undefined> {
  let winner: string | undefined;
  await inScratch('detect', async ({ out, name }) => {
    const controller = new AbortController();
    const onEvent = (event: StagingEvent) => {
      if (event.type === 'plan') {
        winner = event.buildpacks.map((b) => b.name).join(',');
        controller.abort();
      }
    };
    const { error } = await stageFails(app, out, name, { onEvent, signal: controller.signal, network: false, stack });
    assert.is(error.exitCode, 130, `${app}: stopped after detection (${error.message})`);
    await assertNoContainers(name);
  });
  return winner;
}

test('a Node.js app with public/index.html is staged by nodejs, not served by staticfile', async () => {
  // nodejs supports bookworm only.
  assert.is(await detected('node-public', 'bookworm'), 'nodejs');
});

test('a Staticfile wins over package.json (staticfile comes first and detects on it)', async () => {
  assert.is(await detected('static-spa'), 'staticfile');
});

test('a bare index.html, recognised by no language buildpack, is served by staticfile (the fallback pass)', async () => {
  await inScratch('bare', async ({ out, name }) => {
    const { result } = await stageApp('bare-html', out, name, { network: false });
    assert.is(result.detectedBuildpack, 'staticfile');
    assert.match(result.startCommand, /busybox httpd/);
  });
});

test.run();
