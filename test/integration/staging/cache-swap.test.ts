import '../../helpers/env.js';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertNoContainers, BUILDPACKS, inScratch, stageApp, stageFails } from './helpers.js';

const buildpacks = [join(BUILDPACKS, 'cache-writer')];

test('a failed staging leaves the cache as the last good one saved it; the next good one sees that and adds to it', async () => {
  await inScratch('cacheswap', async ({ out, name }) => {
    const first = await stageApp('heroku-chain-app', out, name, { buildpacks, env: { MARK: 'good-1' }, network: false });
    assert.ok(first.lines.includes('       cache holds: '), first.lines.join('\n'));

    const { error, lines } = await stageFails('heroku-chain-app', out, name, { buildpacks, env: { MARK: 'bad-2', FAIL: '1' }, network: false });
    assert.is(error.exitCode, 223);
    assert.ok(lines.includes('       cache holds: good-1 '));

    const third = await stageApp('heroku-chain-app', out, name, { buildpacks, env: { MARK: 'good-3' }, network: false, dropletPath: join(out, 'third.tgz') });
    assert.ok(third.lines.includes('       cache holds: good-1 '), third.lines.join('\n'));
    assert.is(third.result.cache.reused, true);
    const fourth = await stageApp('heroku-chain-app', out, name, { buildpacks, env: { MARK: 'good-4' }, network: false, dropletPath: join(out, 'fourth.tgz') });
    assert.ok(fourth.lines.includes('       cache holds: good-1 good-3 '), fourth.lines.join('\n'));
    await assertNoContainers(name);
  });
});

test.run();
