import '../../helpers/env.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TEST_HOME, uniqueName } from '../../helpers/env.js';
import { createBuildpack, deleteBuildpack, listBuildpacks } from '../../../src/buildpack/index.js';
import { buildApp } from '../../../src/cnb/index.js';
import { bp, CNB_APPS, cnbScratch } from './helpers.js';

const s = cnbScratch('order');
const consumer = uniqueName('cnb-consumer');
const provider = uniqueName('cnb-provider');
const ruby = uniqueName('cnb-ruby');
const group = uniqueName('cnb-group');
const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const dropship = (args: string[]) => execa('node', ['--import', 'tsx', MAIN, ...args], { reject: false, env: { CI: '1', DROPSHIP_HOME: TEST_HOME }, timeout: 60_000 });

test.after(async () => {
  for (const name of [group, consumer, provider, ruby]) await deleteBuildpack(name, { home: TEST_HOME }).catch(() => undefined);
  await s.cleanup();
});

test('no -b: registered CNB buildpacks of the detect order are tried as groups of their own, in order', async () => {
  await createBuildpack(consumer, bp('consumer'), { position: 1, home: TEST_HOME });
  await createBuildpack(provider, bp('provider'), { position: 2, home: TEST_HOME });
  const listed = await listBuildpacks(TEST_HOME);
  assert.equal(listed.filter((b) => b.name === consumer || b.name === provider).map((b) => [b.position, b.api]), [[1, '0.11'], [2, '0.12']]);
  assert.ok(listed.some((b) => b.api === 'v2'), 'V2 buildpacks show their API as v2');
  // The consumer alone requires what nobody provides; the provider alone passes through its [[or]].
  const image = await buildApp({ appDir: join(CNB_APPS, 'hello'), buildpacks: [], tag: s.tag('v1'), name: s.name, stack: 'tiny', network: false, home: TEST_HOME });
  assert.equal([image.kind, image.buildpacks], ['cnb', [{ id: 'fixture/provider', version: '1.0.0' }]]);
});

test('buildpack.md "Order Resolution": an order group (buildpack create --group) is tried as one group, optional members dropped, before single buildpacks', async () => {
  await createBuildpack(ruby, bp('optional-ruby'), { home: TEST_HOME });
  const created = await dropship(['buildpack', 'create', group, '--group', 'fixture/provider,fixture/optional-ruby,fixture/consumer@2.0.0', '--optional', 'fixture/optional-ruby', '--json']);
  assert.is(created.exitCode, 0, created.stderr);
  assert.is(JSON.parse(created.stdout).source, 'group');
  try {
    const listed = await dropship(['buildpacks']);
    assert.ok(listed.stdout.split('\n').some((l) => l.includes(group) && l.includes('group: fixture/provider,fixture/optional-ruby (optional),fixture/consumer@2.0.0')), listed.stdout);
    const lines: string[] = [];
    const image = await buildApp({ appDir: join(CNB_APPS, 'hello'), buildpacks: [], tag: s.tag('v2'), name: s.name, stack: 'tiny', network: false, home: TEST_HOME, onEvent: (e) => { if (e.type === 'log') lines.push(e.line); } });
    assert.equal(image.buildpacks, [{ id: 'fixture/provider', version: '1.0.0' }, { id: 'fixture/consumer', version: '2.0.0' }], 'alone, the provider passes first: the group came before it');
    assert.ok(lines.includes('skipping optional buildpack fixture/optional-ruby'), lines.join('\n'));
    const unknown = await dropship(['buildpack', 'create', uniqueName('cnb-bad'), '--group', 'fixture/provider,fixture/missing']);
    assert.is(unknown.exitCode, 1);
    assert.match(unknown.stderr, /error: --group: no registered Cloud Native Buildpack has id fixture\/missing\n/);
    assert.match(unknown.stderr, /hint: register it first/);
  } finally {
    const deleted = await dropship(['buildpack', 'delete', group]);
    assert.is(deleted.exitCode, 0, deleted.stderr);
  }
});

test.run();
