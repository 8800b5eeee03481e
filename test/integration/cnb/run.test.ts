import '../../helpers/env.js';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { uniqueName } from '../../helpers/env.js';
import { pullImage, openStore } from '../../../src/oci/index.js';
import { homePaths } from '../../../src/home.js';
import { startRegistry, tempDir } from '../oci/image-fixtures.js';
import { bp, CNB_APPS, cnbScratch } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const dropship = (args: string[]) => execa('node', ['--import', 'tsx', MAIN, ...args], { reject: false, env: { CI: '1' }, timeout: 180_000 });
const s = cnbScratch('run');
const app = uniqueName('cnb-run-app');

test.after(async () => {
  await dropship(['delete', app]);
  await s.cleanup();
});

test('dropship build → dropship run: the CNB image runs hardened, as vcap, with PORT and VCAP_* from the platform', async () => {
  const tag = s.tag('v1');
  const built = await dropship(['build', join(CNB_APPS, 'hello'), '-t', tag, '-b', bp('httpd'), '--name', s.name, '--stack', 'tiny', '--no-network', '--json']);
  assert.is(built.exitCode, 0, built.stderr);
  const result = JSON.parse(built.stdout.trim().split('\n').pop()!);
  assert.equal([result.type, result.kind, result.defaultProcess], ['result', 'cnb', 'web']);
  const run = await dropship(['run', tag, '--name', app, '-d', '--json']);
  assert.is(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
  const { hostPort } = JSON.parse(run.stdout) as { hostPort: number };
  const page = await (await fetch(`http://127.0.0.1:${hostPort}/env.txt`)).text();
  assert.ok(page.includes('port=8080\n'), page);
  assert.ok(page.includes('uid=2000\n'), page);
  const vcap = JSON.parse(/^vcap=(.*)$/m.exec(page)![1]!);
  assert.equal([vcap.application_name, vcap.instance_index, vcap.process_type], [app, 0, 'web']);
});

test('dropship build --publish pushes the image; a fresh store pulls the same digest', async () => {
  const registry = await startRegistry();
  const fresh = await tempDir('cnb-publish');
  try {
    const target = `${registry.host}/cnb/${s.name}:v1`;
    const built = await dropship(['build', join(CNB_APPS, 'hello'), '-t', s.tag('pub'), '-b', bp('httpd'), '--name', s.name, '--stack', 'tiny', '--no-network', '--json', '--publish', target, '--insecure']);
    assert.is(built.exitCode, 0, built.stderr);
    const result = JSON.parse(built.stdout.trim().split('\n').pop()!);
    assert.is(result.published.reference, target);
    const pulled = await pullImage(target, { insecure: true, store: openStore(homePaths(join(fresh, 'home'))), tag: 'app:v1' });
    assert.is(pulled.digest, result.published.digest);
  } finally {
    await registry.stop();
    await rm(fresh, { recursive: true, force: true });
  }
});

test.run();
