import '../../helpers/env.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { APPS, BUILDPACKS, inScratch } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const dropship = (args: string[], cwd?: string) => execa('node', ['--import', 'tsx', MAIN, ...args], { reject: false, cwd, env: { CI: '1' } });

test('dropship stage: [STG/0] lines, a summary, the droplet and result.json', async () => {
  await inScratch('cli', async ({ out, name }) => {
    const run = await dropship(['stage', join(APPS, 'static-site'), '--stack', 'tiny', '--name', name, '--droplet', join(out, 'app.tgz'), '--memory', '256M']);
    assert.is(run.exitCode, 0, run.stderr);
    assert.ok(run.stdout.split('\n').includes('[STG/0] -----> Staticfile Buildpack'));
    assert.match(run.stdout, /^droplet: +.*app\.tgz \(\d+ bytes, sha256:[0-9a-f]{64}\)$/m);
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8'));
    assert.is(result.lifecycle_metadata.detected_buildpack, 'staticfile');
  });
});

test('dropship stage exits 222/223 with error and hint; --json gives JSON lines', async () => {
  await inScratch('cli-fail', async ({ out, name }) => {
    const none = await dropship(['stage', join(APPS, 'no-start'), '--stack', 'tiny', '--name', name, '--droplet', join(out, 'a.tgz')]);
    assert.is(none.exitCode, 222);
    assert.match(none.stderr, /^error: None of the buildpacks detected a compatible application\nhint: tried, in order: /);
    const failed = await dropship([
      'stage', join(APPS, 'failing-app'), '--stack', 'tiny', '--name', name, '--droplet', join(out, 'b.tgz'), '--json',
      '-b', join(BUILDPACKS, 'failing'), '-e', 'FIXTURE_FAIL=finalize',
    ]);
    assert.is(failed.exitCode, 223);
    const lines = failed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.some((l) => l.type === 'log' && l.source === 'STG/0' && l.line === '-----> Failing Buildpack'));
    const last = lines[lines.length - 1];
    assert.equal([last.type, last.code, last.exit_code], ['error', 'BUILDPACK_COMPILE_FAILED', 223]);
  });
});

test('dropship buildpacks lists the detect order', async () => {
  const run = await dropship(['buildpacks', '--json']);
  assert.is(run.exitCode, 0, run.stderr);
  const list = JSON.parse(run.stdout) as Array<{ position: number; name: string; source: string }>;
  assert.is(list[0]!.position, 1);
  assert.ok(list.some((b) => b.name === 'staticfile' && b.source === 'builtin'));
});

test.run();
