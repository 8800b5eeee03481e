import '../../helpers/env.js';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { execa } from 'execa';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertNoContainers, BUILDPACKS, dropletEntries, dropletFile, inScratch, stageApp } from './helpers.js';

test('detects a static site: droplet layout, .cfignore, result.json, same digest twice', async () => {
  await inScratch('static', async ({ out, name }) => {
    const { result, lines } = await stageApp('static-site', out, name);
    assert.is(result.detectedBuildpack, 'staticfile');
    assert.is(result.startCommand, `busybox httpd -f -v -p "0.0.0.0:$PORT" -h 'public'`);
    assert.ok(lines.includes('-----> Staticfile Buildpack'));
    const entries = dropletEntries(result.droplet.path);
    assert.equal([...entries.keys()], [
      'app/', 'app/Staticfile', 'app/public/', 'app/public/index.html', 'app/public/style.css',
      'deps/', 'deps/0/', 'logs/', 'profile.d/', 'staging_info.yml', 'tmp/',
    ]);
    assert.ok([...entries.values()].every((v) => v.split(' ')[1] === '2000/2000'));
    assert.equal(JSON.parse(dropletFile(result.droplet.path, 'staging_info.yml')), {
      detected_buildpack: 'staticfile',
      start_command: result.startCommand,
    });
    const written = JSON.parse(await readFile(join(out, 'result.json'), 'utf8'));
    assert.equal(written, result.result);
    assert.equal(written.lifecycle_metadata, {
      buildpack_key: 'staticfile',
      detected_buildpack: 'staticfile',
      buildpacks: [{ key: 'staticfile', name: 'staticfile', version: '1.0.0' }],
    });
    assert.is(written.lifecycle_type, 'buildpack');

    const again = await stageApp('static-site', out, name, { dropletPath: join(out, 'again.tgz') });
    assert.is(again.result.droplet.digest, result.droplet.digest, 'staging the same source twice gives the same droplet');
    await assertNoContainers(name);
  });
});

test('multi-buildpack: supply then finalize, deps, profile.d, launch.yml, release, config_vars, Procfile override, cache reuse and pruning', async () => {
  await inScratch('multi', async ({ out, name }) => {
    const buildpacks = [join(BUILDPACKS, 'supply-tool'), join(BUILDPACKS, 'final-finalize')];
    // network: false promises loopback only (asserted below).
    const first = await stageApp('multi-app', out, name, { buildpacks, env: { GREETING: 'hello' }, network: false });
    const { result, lines } = first;
    assert.ok(lines.includes('-----> Supply Tool Buildpack 0'));
    assert.ok(lines.includes('       Installing tool 0.3.0'));
    assert.ok(lines.includes(`       stack=tiny memory=256m app=${name}`));
    assert.ok(lines.includes('-----> Final Buildpack 1'));
    assert.ok(lines.includes('       found tools in 0/bin'));
    assert.ok(lines.includes('       Cold cache'));
    assert.ok(lines.includes('       buildpack dir is writable'));
    assert.not.ok(existsSync(join(BUILDPACKS, 'final-finalize', '.probe')), 'the buildpack wrote to its own copy, not to the registered directory');
    assert.ok(lines.includes('       network interfaces: lo '));
    assert.equal(result.processTypes, {
      clock: 'echo tick',
      'tool-worker': 'tool work',
      web: 'bin/start',
      worker: 'sh -c "echo overridden worker"',
    });
    assert.equal(result.result.lifecycle_metadata.buildpacks.map((b) => [b.name, b.version]), [['supply-tool', '0.3.0'], ['final-finalize', '2.1.0']]);
    assert.is(result.result.lifecycle_metadata.detected_buildpack, 'final-finalize');
    const entries = dropletEntries(result.droplet.path);
    for (const path of ['deps/0/bin/tool', 'deps/0/launch.yml', 'deps/1/marker', 'app/bin/start', 'profile.d/010_final.sh', 'profile.d/000_config_vars.sh']) {
      assert.ok(entries.has(path), `droplet has ${path}`);
    }
    assert.is(dropletFile(result.droplet.path, 'app/.staged-as').trim(), 'vcap');
    const configVars = dropletFile(result.droplet.path, 'profile.d/000_config_vars.sh');
    assert.match(configVars, /export FINAL_MODE='production'/);
    assert.match(configVars, /export QUOTED='it'\\''s "quoted"'/);
    assert.is(result.cache.reused, false);

    const second = await stageApp('multi-app', out, name, { buildpacks, dropletPath: join(out, 'second.tgz') });
    assert.ok(second.lines.includes('       Using cached tool 0.3.0'));
    assert.ok(second.lines.includes('       Reusing cache from an earlier staging'));
    assert.is(second.result.cache.reused, true);
    assert.ok(second.result.cache.bytes > 0);

    const third = await stageApp('multi-app', out, name, { buildpacks: [join(BUILDPACKS, 'final-finalize')], dropletPath: join(out, 'third.tgz') });
    assert.equal(third.result.cache.pruned.length, 1, 'the supply buildpack’s cache is pruned once it is not used');
    assert.ok(third.lines.includes('       Reusing cache from an earlier staging'));
    // The cache lives on the app's staging disk: looked at from the host, mounted read-only.
    assert.match(third.result.cache.dir, /\/cache\/[^/]+\/disk\.img$/);
    const look = await mkdtemp('/var/tmp/dropship-stg-cache-');
    try {
      await execa('mount', ['-o', 'loop,ro,nosuid,nodev,noexec', third.result.cache.dir, look]);
      try {
        assert.ok((await stat(join(look, 'cache', 'final', 'compiled'))).isFile());
      } finally {
        await execa('umount', [look]);
      }
    } finally {
      await rm(look, { recursive: true, force: true });
    }
    await assertNoContainers(name);
  });
});

test('legacy compile gets ENV_DIR as its third argument', async () => {
  await inScratch('legacy', async ({ out, name }) => {
    const { result, lines } = await stageApp('legacy-app', out, name, {
      buildpacks: [join(BUILDPACKS, 'legacy-compile')],
      env: { GREETING: 'hello from ENV_DIR' },
    });
    assert.ok(lines.includes('-----> Legacy Compile Buildpack'));
    assert.ok(lines.includes('       env: GREETING'));
    assert.is(dropletFile(result.droplet.path, 'app/greeting.txt'), 'hello from ENV_DIR');
    assert.is(result.processTypes.web, 'cat greeting.txt && busybox httpd -f -p $PORT');
    assert.is(result.result.lifecycle_metadata.detected_buildpack, 'legacy-compile');
  });
});

test('the procfile buildpack keeps Procfile quoting; a Procfile without web warns clearly', async () => {
  await inScratch('procfile', async ({ out, name }) => {
    const { result } = await stageApp('procfile-app', out, name);
    assert.is(result.detectedBuildpack, 'procfile');
    assert.is(result.processTypes.web, `sh -c 'echo "ready: yes"; exec busybox httpd -f -p "$PORT"'`);
    assert.is(result.processTypes.worker, `./worker.sh --name "two words" --sep=':'`);
    const worker = await stageApp('worker-only', out, name, { dropletPath: join(out, 'worker.tgz') });
    assert.equal(worker.result.warnings.length, 1);
    assert.match(worker.result.warnings[0]!, /^no 'web' process type \(found: worker\): the app gets no HTTP traffic/);
    assert.is(worker.result.startCommand, 'sh -c "while :; do sleep 5; done"');
  });
});

test('the binary buildpack with --command', async () => {
  await inScratch('binary', async ({ out, name }) => {
    const { result } = await stageApp('no-start', out, name, { buildpacks: ['binary'], command: './run.sh --port $PORT' });
    assert.equal(result.processTypes, { web: './run.sh --port $PORT' });
    assert.ok(dropletEntries(result.droplet.path).get('app/run.sh')!.startsWith('-rwxr-xr-x'));
  });
});

test.run();
