import '../../helpers/env.js';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TEST_HOME, uniqueName } from '../../helpers/env.js';
import { homePaths } from '../../../src/home.js';
import { inspectImage, removeImage } from '../../../src/oci/index.js';
import { dropship, removeApp } from '../app/helpers.js';
import { bp, CNB_APPS } from './helpers.js';

const app = uniqueName('cnb-proj-push');
let dir: string;
let image = '';

test.before(async () => {
  dir = await mkdtemp(join(TEST_HOME, 'tmp', 'cnb-proj-push-'));
});

test.after(async () => {
  await removeApp(app);
  if (image) await removeImage(image).catch(() => undefined);
  await rm(join(homePaths(TEST_HOME).cache, app), { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

test('project-descriptor.md under push: the group of a buildpack inside the app builds a CNB app, the label says the project', async () => {
  const src = join(dir, 'app');
  await cp(join(CNB_APPS, 'hello'), src, { recursive: true });
  await cp(bp('httpd'), join(src, 'cnb', 'httpd'), { recursive: true });
  await writeFile(join(src, 'project.toml'), '[_]\nschema-version = "0.2"\nid = "com.example.pushed"\nversion = "7"\n[[io.buildpacks.group]]\nuri = "./cnb/httpd"\n');
  const push = await dropship('push', src, '--name', app, '--stack', 'tiny', '--no-start', '--json');
  assert.is(push.exitCode, 0, push.stderr.slice(-3000));
  const summary = JSON.parse(push.stdout) as { buildpacks: string[]; image: string };
  image = summary.image;
  assert.equal(summary.buildpacks, ['fixture/httpd 1.0.0']);
  const label = JSON.parse((await inspectImage(summary.image)).config.config.Labels!['io.buildpacks.project.metadata']!);
  assert.equal(label, { source: { type: 'project', version: { declared: '7' }, metadata: { id: 'com.example.pushed' } } });
});

test.run();
