import '../../helpers/env.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertNoContainers, BUILDPACKS, dropletFile, inScratch, stageApp, stageFails } from './helpers.js';

const bp = (name: string) => join(BUILDPACKS, name);

test('Heroku chain, no downloads: bin/compile of the first, its export sourced for the next, release types merged (last wins)', async () => {
  await inScratch('heroku', async ({ out, name }) => {
    const buildpacks = [bp('heroku-export'), bp('heroku-lang')];
    const { result, lines } = await stageApp('heroku-chain-app', out, name, { buildpacks, env: { GREETING: 'hello' }, network: false });
    assert.ok(lines.includes('-----> Heroku Export Buildpack'));
    assert.ok(lines.includes('       Cold cache'));
    // Heroku's contract: STACK beside CF_STACK; ENV_DIR holds the app's env and nothing of the platform's.
    assert.ok(lines.includes('       STACK=tiny CF_STACK=tiny'));
    assert.ok(lines.includes('       env dir: GREETING '), lines.join('\n'));
    assert.ok(lines.includes('-----> Heroku Lang Buildpack'));
    // greet is on PATH and TOOL_HOME set only because heroku-export's export file was sourced.
    assert.ok(lines.includes('       tool says from lang'), lines.join('\n'));
    assert.ok(lines.includes('       TOOL_HOME=/tmp/app/.tool'));
    assert.equal(result.processTypes, { tool: 'greet tool', web: './lang-start' });
    const config = dropletFile(result.droplet.path, 'profile.d/000_config_vars.sh');
    assert.match(config, /export TOOL_MODE='chained'/);
    assert.match(config, /export SHARED='from-lang'/);
    assert.equal(result.result.lifecycle_metadata.buildpacks.map((b) => b.name), ['heroku-export', 'heroku-lang']);
    // The export file went into this staging's copy of the buildpack, never into the fixture.
    assert.not.ok(existsSync(join(bp('heroku-export'), 'export')));

    const again = await stageApp('heroku-chain-app', out, name, { buildpacks, dropletPath: join(out, 'again.tgz'), network: false });
    assert.ok(again.lines.includes('       Reusing cache'), 'a Heroku-style buildpack keeps its own cache between stagings');
    await assertNoContainers(name);
  });
});

test('mixed chain: Cloud Foundry supply, Heroku compile, Cloud Foundry finalize', async () => {
  await inScratch('mixed', async ({ out, name }) => {
    const buildpacks = [bp('supply-tool'), bp('heroku-export'), bp('final-finalize')];
    const { result, lines } = await stageApp('multi-app', out, name, { buildpacks, network: false });
    assert.ok(lines.includes('-----> Supply Tool Buildpack 0'));
    assert.ok(lines.includes('-----> Heroku Export Buildpack'));
    assert.ok(lines.includes('-----> Final Buildpack 2'));
    assert.ok(lines.includes('       found tools in 0/bin'));
    assert.ok(lines.includes('       TOOL_HOME=/tmp/app/.tool'), 'finalize sees the Heroku export');
    // final-finalize's release wins for web; heroku-export adds tool; launch.yml adds tool-worker; the Procfile overrides worker.
    assert.equal(result.processTypes, {
      clock: 'echo tick',
      tool: 'greet tool',
      'tool-worker': 'tool work',
      web: 'bin/start',
      worker: 'sh -c "echo overridden worker"',
    });
  });
});

test('a buildpack before the last with neither bin/supply nor bin/compile is refused before staging starts', async () => {
  await inScratch('nochain', async ({ out, name }) => {
    const { error } = await stageFails('heroku-chain-app', out, name, { buildpacks: [bp('finalize-only'), bp('heroku-lang')], network: false });
    assert.is(error.exitCode, 225);
    assert.match(error.message, /buildpack 'finalize-only' is not the last one named.*neither bin\/supply nor bin\/compile/);
    await assertNoContainers(name);
  });
});

test('BUILDPACK_URL in the app env names the one buildpack and skips detection; a host path there is refused', async () => {
  await inScratch('bpurl', async ({ out, name }) => {
    // Nothing in the detect order detects this app: it stages only because BUILDPACK_URL names binary.
    const { result, events } = await stageApp('heroku-chain-app', out, name, { env: { BUILDPACK_URL: 'binary' }, command: './run', network: false });
    assert.equal(result.result.lifecycle_metadata.buildpacks.map((b) => b.name), ['binary']);
    assert.ok(events.some((e) => e.type === 'phase' && e.phase === 'detect' && e.status === 'skipped'));
    const { error } = await stageFails('heroku-chain-app', out, name, { env: { BUILDPACK_URL: BUILDPACKS + 'heroku-lang' }, network: false });
    assert.is(error.code, 'INVALID_BUILDPACK_URL');
    assert.match(error.message, /^env BUILDPACK_URL: '.*heroku-lang' is neither an http\(s\) URL nor a buildpack name$/);
    await assertNoContainers(name);
  });
});

test.run();
