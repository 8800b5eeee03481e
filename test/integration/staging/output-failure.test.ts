import '../../helpers/env.js';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listContainers } from '../../../src/container/index.js';
import { homePaths } from '../../../src/home.js';
import { TEST_HOME } from '../../helpers/env.js';
import { APPS, assertNoContainers, BUILDPACKS, inScratch } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

/** `dropship stage` of an app whose buildpack never stops talking, its stdout sent to `redirect`. */
async function stageInto(redirect: string, out: string, name: string) {
  const args = ['stage', join(APPS, 'heroku-chain-app'), '--name', name, '--droplet', join(out, 'd.tgz'), '--no-network',
    '--timeout', '2m', '-b', join(BUILDPACKS, 'chatty')];
  const quoted = args.map((a) => `'${a}'`).join(' ');
  // PIPESTATUS: dropship's own exit code, not the reader's.
  return execa('bash', ['-c', `node --import tsx '${MAIN}' ${quoted} ${redirect}; exit \${PIPESTATUS[0]}`], { reject: false, env: { CI: '1' } });
}

async function assertNothingLeft(name: string): Promise<void> {
  await assertNoContainers(name);
  const work = (await readdir(homePaths(TEST_HOME).tmp)).filter((f) => f.startsWith(`staging-${name}-`));
  assert.equal(work, [], 'no staging work dir left');
  const mounts = (await execa('findmnt', ['-rno', 'TARGET'])).stdout.split('\n').filter((m) => m.includes(`staging-${name}-`));
  assert.equal(mounts, [], 'no staging disk left mounted');
}

test('staging into a closed pipe (| head -1): one error line, exit 1, container, mounts and work dir gone', async () => {
  await inScratch('epipe', async ({ out, name }) => {
    const run = await stageInto('| head -1 >/dev/null', out, name);
    assert.is(run.exitCode, 1, run.stderr);
    assert.match(run.stderr, /^error: staging stopped: writing its output to stdout failed: its reader closed it \(EPIPE\); the staging container and its files were removed\nhint: /);
    assert.not.match(run.stderr, /\n {4}at /, 'no stack trace');
    await assertNothingLeft(name);
  });
});

test('staging into a full disk (> /dev/full): ENOSPC, exit 1, nothing left', async () => {
  await inScratch('enospc', async ({ out, name }) => {
    const run = await stageInto('> /dev/full', out, name);
    assert.is(run.exitCode, 1, run.stderr);
    assert.match(run.stderr, /^error: staging stopped: writing its output to stdout failed: no space left where it goes \(ENOSPC\)/);
    await assertNothingLeft(name);
  });
});

test('dropship gc removes what a kill -9 of the staging process left: the running container, its lease, disk and work dir', async () => {
  await inScratch('orphan', async ({ out, name }) => {
    const args = ['stage', join(APPS, 'heroku-chain-app'), '--name', name, '--droplet', join(out, 'd.tgz'), '--timeout', '2m', '-b', join(BUILDPACKS, 'chatty')];
    const staging = execa('node', ['--import', 'tsx', MAIN, ...args], { reject: false, env: { CI: '1' } });
    // Killed while its buildpack runs: wait for the buildpack's first line, streamed.
    let seen = '';
    const started = await new Promise<boolean>((resolve) => {
      staging.stdout!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('-----> Chatty')) resolve(true);
      });
      // A staging that ends before its buildpack ran fails the test below instead of hanging it.
      staging.once('exit', () => resolve(false));
    });
    assert.ok(started, `the staging ended before its buildpack ran:\n${seen}`);
    const exited = new Promise((resolve) => staging.once('exit', resolve));
    staging.kill('SIGKILL');
    // The exit, not the end of its output: what the killed process left running may hold its pipes.
    await exited;
    staging.stdout!.destroy();
    staging.stderr!.destroy();
    const left = (await listContainers()).filter((c) => c.labels.app === name);
    assert.is(left.length, 1, 'the killed staging left its container running');
    const id = left[0]!.id;
    assert.ok((await readFile(join(homePaths(TEST_HOME).network, 'leases.json'), 'utf8')).includes(id), 'and its network lease');

    const gc = await execa('node', ['--import', 'tsx', MAIN, 'gc'], { reject: false });
    assert.is(gc.exitCode, 0, gc.stderr);
    assert.ok(gc.stdout.includes(`removed container ${id} (its owner process is gone)`), gc.stdout);
    assert.match(gc.stdout, new RegExp(`removed staging work dir .*staging-${name}-[\\w.-]+ \\(its owner process is gone\\)`));
    await assertNothingLeft(name);
    assert.not.ok((await readFile(join(homePaths(TEST_HOME).network, 'leases.json'), 'utf8')).includes(id), 'lease released');
    // No app of that name exists (it was only ever staged): its staging cache goes too.
    assert.ok(gc.stdout.includes(`removed staging cache of ${name} (no such app)`), gc.stdout);
    assert.is(await stat(join(homePaths(TEST_HOME).cache, name)).catch(() => undefined), undefined);
  });
});

test.run();
