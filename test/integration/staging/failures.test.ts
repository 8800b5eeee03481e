import '../../helpers/env.js';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TEST_HOME } from '../../helpers/env.js';
import { homePaths } from '../../../src/home.js';
import { assertNoContainers, BUILDPACKS, dropletEntries, inScratch, stageApp, stageFails } from './helpers.js';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function leftoverWorkDirs(name: string): Promise<string[]> {
  return (await readdir(homePaths(TEST_HOME).tmp).catch(() => [])).filter((d) => d.startsWith(`staging-${name}-`));
}

test('222: nothing detects; result.json still written, no droplet', async () => {
  await inScratch('f222', async ({ out, name }) => {
    const { error } = await stageFails('no-start', out, name);
    assert.is(error.message, 'None of the buildpacks detected a compatible application');
    assert.is(error.exitCode, 222);
    assert.not.ok(await exists(join(out, 'droplet.tgz')));
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8'));
    assert.equal(result.error, { code: 'NO_BUILDPACK_DETECTED', message: error.message, exit_code: 222, step: 'detect' });
    await assertNoContainers(name);
    assert.equal(await leftoverWorkDirs(name), []);
  });
});

test('223: finalize fails; the message has buildpack, step, exit code and the last lines', async () => {
  await inScratch('f223', async ({ out, name }) => {
    const { error } = await stageFails('failing-app', out, name, { buildpacks: [join(BUILDPACKS, 'failing')], env: { FIXTURE_FAIL: 'finalize' } });
    assert.is(error.exitCode, 223);
    const [head, label, ...tail] = error.message.split('\n');
    assert.is(head, "Failed to compile droplet: buildpack 'failing' failed in finalize: bin/finalize exited with code 3");
    assert.is(label, 'last lines of output:');
    // stdout and stderr are separate pipes: their relative order is not fixed.
    assert.equal(tail.sort(), ['  -----> Failing Buildpack', '         compiling app', '         error: syntax error in app.conf line 3'].sort());
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8'));
    assert.equal([result.error.exit_code, result.error.buildpack, result.error.step], [223, 'failing', 'finalize']);
    assert.is(result.lifecycle_metadata.detected_buildpack, 'failing');
    assert.not.ok(await exists(join(out, 'droplet.tgz')));
  });
});

test('224: release exits non-zero, or prints broken YAML', async () => {
  await inScratch('f224', async ({ out, name }) => {
    const failed = await stageFails('failing-app', out, name, { buildpacks: [join(BUILDPACKS, 'failing')], env: { FIXTURE_FAIL: 'release' } });
    assert.is(failed.error.exitCode, 224);
    assert.match(failed.error.message, /^Failed to build droplet release: buildpack 'failing' failed in release: bin\/release exited with code 4\nlast lines of output:\n {2}release broke$/);
    const yaml = await stageFails('failing-app', out, name, { buildpacks: [join(BUILDPACKS, 'failing')], env: { FIXTURE_FAIL: 'release-yaml' } });
    assert.is(yaml.error.exitCode, 224);
    assert.match(yaml.error.message, /^Failed to build droplet release: bin\/release of buildpack 'failing' is not valid YAML/);
  });
});

test('225: a supply buildpack fails', async () => {
  await inScratch('f225', async ({ out, name }) => {
    const { error } = await stageFails('failing-app', out, name, {
      buildpacks: [join(BUILDPACKS, 'failing'), join(BUILDPACKS, 'final-finalize')],
      env: { FIXTURE_FAIL: 'supply' },
    });
    assert.is(error.exitCode, 225);
    assert.match(error.message, /^Failed to supply dependencies: buildpack 'failing' failed in supply: bin\/supply exited with code 7\n/);
    assert.match(error.message, /could not download dependency tool-9\.9/);
  });
});

test('no start command at all is a staging error with a hint', async () => {
  await inScratch('nostart', async ({ out, name }) => {
    const { error } = await stageFails('no-start', out, name, { buildpacks: ['binary'] });
    assert.is(error.code, 'NO_START_COMMAND');
    assert.is(error.message, "the app has no start command: buildpack 'binary' defines no process types and there is no Procfile");
    assert.match(error.hint!, /Procfile .* or stage with --command/);
  });
});

test('a hanging buildpack is killed at the timeout, with its background children; nothing is left', async () => {
  await inScratch('hang', async ({ out, name }) => {
    const { error, lines } = await stageFails('failing-app', out, name, { buildpacks: [join(BUILDPACKS, 'failing')], env: { FIXTURE_FAIL: 'hang' }, timeout: '3s' });
    assert.is(error.code, 'STAGING_TIMEOUT');
    assert.is(error.exitCode, 223);
    assert.match(error.message, /bin\/finalize was still running when the staging timeout \(3s\) expired and was killed/);
    assert.ok(lines.includes('       waiting forever'));
    assert.not.ok(await exists(join(out, 'droplet.tgz')));
    await assertNoContainers(name);
    assert.equal(await leftoverWorkDirs(name), []);
  });
});

test('a buildpack flooding its output is stopped', async () => {
  await inScratch('flood', async ({ out, name }) => {
    const { error } = await stageFails('failing-app', out, name, { buildpacks: [join(BUILDPACKS, 'failing')], env: { FIXTURE_FAIL: 'flood' }, maxOutput: '1M' });
    assert.is(error.exitCode, 223);
    assert.match(error.message, /bin\/finalize wrote more than 1.0M of output and was killed/);
    await assertNoContainers(name);
  });
});

test('a buildpack out of memory is reported as such', async () => {
  await inScratch('oom', async ({ out, name }) => {
    const { error } = await stageFails('failing-app', out, name, { buildpacks: [join(BUILDPACKS, 'failing')], env: { FIXTURE_FAIL: 'oom' }, memory: '32M' });
    assert.is(error.exitCode, 223);
    assert.match(error.message, /bin\/finalize ran out of memory \(limit 32M\) and was killed/);
    await assertNoContainers(name);
  });
});

test('cancelling (Ctrl-C) stops the staging and removes everything', async () => {
  await inScratch('cancel', async ({ out, name }) => {
    const controller = new AbortController();
    const failing = stageFails('failing-app', out, name, {
      buildpacks: [join(BUILDPACKS, 'failing')],
      env: { FIXTURE_FAIL: 'hang' },
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'log' && event.line === '       waiting forever') controller.abort();
      },
    });
    const { error } = await failing;
    assert.is(error.code, 'STAGING_CANCELLED');
    assert.is(error.exitCode, 130);
    await assertNoContainers(name);
    assert.equal(await leftoverWorkDirs(name), []);
    assert.not.ok(await exists(join(out, 'droplet.tgz')));
  });
});

test('missing and empty app directories fail clearly and leave nothing', async () => {
  await inScratch('empty', async ({ out, name }) => {
    const missing = await stageFails(join(out, 'nope'), out, name);
    assert.is(missing.error.code, 'APP_NOT_FOUND');
    await mkdir(join(out, 'empty'));
    await writeFile(join(out, 'empty', '.cfignore'), '*\n');
    const empty = await stageFails(join(out, 'empty'), out, name);
    assert.is(empty.error.code, 'APP_EMPTY');
    await assertNoContainers(name);
    assert.equal(await leftoverWorkDirs(name), []);
  });
});

test('symlinks stay links in the droplet: nothing of the host leaks', async () => {
  await inScratch('symlink', async ({ out, name }) => {
    const { result } = await stageApp('symlink-app', out, name);
    const entries = dropletEntries(result.droplet.path);
    assert.match(entries.get('app/host-shadow')!, /^l.* -> \/etc\/shadow$/);
    assert.match(entries.get('app/climb-passwd')!, /^l.* -> \.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd$/);
    assert.match(entries.get('app/home.html')!, /^l.* -> index\.html$/);
  });
});

test('a Procfile that is a symlink out of the app is refused, not read on the host', async () => {
  await inScratch('procfile-link', async ({ out, name }) => {
    const app = join(out, 'app');
    await mkdir(app);
    await writeFile(join(app, 'index.html'), 'x');
    const { symlink } = await import('node:fs/promises');
    await symlink('/etc/passwd', join(app, 'Procfile'));
    const { error } = await stageFails(app, out, name);
    assert.is(error.code, 'STAGING_FILE_OUTSIDE');
    assert.not.match(error.message, /root:/);
  });
});

test.run();
