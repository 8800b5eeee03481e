import '../../helpers/env.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUILDPACKS, inScratch, stageApp, stageFails } from './helpers.js';

test("a buildpack's colour codes stay in the logs but not in the error or result.json", async () => {
  await inScratch('colour', async ({ out, name }) => {
    const { error, lines } = await stageFails('heroku-chain-app', out, name, { buildpacks: [join(BUILDPACKS, 'colour-fail')], network: false });
    assert.ok(lines.includes('-----> \x1b[1;33mColour Fail\x1b[0m'), 'the log line keeps its colours');
    assert.ok(lines.some((l) => l.includes('\x1b[1;31m !     Push rejected')));
    assert.is(error.exitCode, 223);
    // The two lines come through stdout and stderr, two pipes drained independently: either order.
    const [, tail = ''] = error.message.split('last lines of output:\n');
    assert.equal(tail.split('\n').sort(), ['   !     Push rejected', '  -----> Colour Fail'], JSON.stringify(error.message));
    // eslint-disable-next-line no-control-regex
    assert.not.match(error.message, /[\x00-\x08\x0b-\x1f\x7f]/);
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8'));
    assert.not.ok(result.error.message.includes('\x1b'));
  });
});

test("a buildpack that needs GNU sed fails on tiny with a hint at bookworm, and succeeds there", async () => {
  await inScratch('gnu', async ({ out, name }) => {
    const buildpacks = [join(BUILDPACKS, 'gnu-only')];
    const failed = await stageFails('heroku-chain-app', out, name, { buildpacks, network: false, command: 'true' });
    const { error } = failed;
    assert.is(error.exitCode, 223);
    assert.ok(failed.lines.includes("sed: invalid option -- 'u'"));
    assert.is(error.hint, 'the tiny stack has busybox, not GNU sed/mktemp/coreutils, and no python3 or apt: stage with --stack bookworm');
    const { lines } = await stageApp('heroku-chain-app', out, name, { buildpacks, network: false, command: 'true', stack: 'bookworm' });
    assert.ok(lines.includes('       installing'));
  });
});

test("bookworm has python3, which many buildpacks' scripts call", async () => {
  await inScratch('py', async ({ out, name }) => {
    const { lines } = await stageApp('heroku-chain-app', out, name, { buildpacks: [join(BUILDPACKS, 'python-probe')], network: false, command: 'true', stack: 'bookworm' });
    assert.ok(lines.includes('       python3 says 42'), lines.join('\n'));
  });
});

test.run();
