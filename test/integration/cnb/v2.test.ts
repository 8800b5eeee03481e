import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TEST_HOME } from '../../helpers/env.js';
import { buildApp } from '../../../src/cnb/index.js';
import { isDropshipError } from '../../../src/errors.js';
import { inspectImage } from '../../../src/oci/index.js';
import { bp, cnbScratch } from './helpers.js';

const APPS = new URL('../../../fixtures/apps/', import.meta.url).pathname;
const s = cnbScratch('v2');
test.after(() => s.cleanup());

test('dropship build with V2 buildpacks goes through a droplet to the same kind of image as image build', async () => {
  const image = await buildApp({ appDir: `${APPS}static-site`, buildpacks: ['staticfile'], tag: s.tag('v1'), name: s.name, stack: 'tiny', network: false, home: TEST_HOME });
  assert.equal([image.kind, image.defaultProcess, image.buildpacks.map((b) => b.id)], ['v2', 'web', ['staticfile']]);
  assert.match(image.processTypes.web!, /httpd/);
  const inspected = await inspectImage(s.tag('v1'));
  assert.equal(inspected.config.config.Entrypoint, ['/lifecycle/launcher']);
  assert.is(inspected.layers.length, 2);
});

test('one build never mixes V2 and Cloud Native Buildpacks', async () => {
  const error = await buildApp({ appDir: `${APPS}static-site`, buildpacks: ['staticfile', bp('provider')], tag: s.tag('mixed'), name: s.name, stack: 'tiny', network: false, home: TEST_HOME })
    .then(() => undefined, (e: unknown) => e);
  assert.ok(isDropshipError(error));
  assert.is(error.code, 'BUILD_MIXED_BUILDPACKS');
  assert.is(error.message, '-b: staticfile is a V2 buildpack, the others Cloud Native Buildpacks');
});

test.run();
