import '../../helpers/env.js';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TEST_HOME, uniqueName } from '../../helpers/env.js';
import { createBuildpack, deleteBuildpack, listBuildpacks } from '../../../src/buildpack/index.js';
import { buildApp } from '../../../src/cnb/index.js';
import { bp, CNB_APPS, cnbScratch } from './helpers.js';

const s = cnbScratch('order');
const consumer = uniqueName('cnb-consumer');
const provider = uniqueName('cnb-provider');

test.after(async () => {
  for (const name of [consumer, provider]) await deleteBuildpack(name, { home: TEST_HOME }).catch(() => undefined);
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

test.run();
