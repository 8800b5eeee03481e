import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName } from '../../helpers/env.js';
import { dropship, FIXTURES, get, pushJson, removePushed, type PushJson } from './helpers.js';

// One app name through its life: --no-start (stages, builds, starts nothing), a push that
// starts it, and a second push that replaces it on the same URL.
const name = uniqueName('it-push-hello');
const app = join(FIXTURES, 'node-hello');
let digest: string;

test.after(() => removePushed(name));

test('--no-start stages with the nodejs buildpack, builds the image and makes release 1, starting nothing', async () => {
  const summary = (await pushJson(app, '--name', name, '--no-start')) as PushJson;
  assert.is(summary.state, 'stopped');
  assert.equal(summary.buildpacks, ['nodejs 0.1.0']);
  assert.is(summary.startCommand, 'npm start');
  assert.is(summary.image, `dropship-apps/${name}:latest`);
  assert.is(summary.imageReused, false, 'the first build writes the image');
  digest = summary.digest;
  assert.is(summary.release, 1);
  assert.equal(summary.processes.map((p) => [p.type, p.state, p.healthy]), [['web', 'stopped', 0]]);
  const ps = await dropship('ps', name, '--json');
  assert.is(ps.exitCode, 0, ps.stderr);
  const [created] = JSON.parse(ps.stdout);
  assert.equal([created.state, created.release, created.imageDigest, created.instances], ['stopped', 1, digest, []]);
});

test('push starts node-hello, whose npm dependency answers on the printed URL', async () => {
  const summary = (await pushJson(app, '--name', name)) as PushJson;
  assert.is(summary.state, 'running');
  assert.is(summary.imageReused, true, 'unchanged source stages to the same droplet, so the image is reused');
  assert.is(summary.digest, digest);
  assert.equal(summary.processes.map((p) => [p.type, p.healthy, p.requested]), [['web', 1, 1]]);
  assert.match(summary.url ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  const body = await get(summary.url!);
  assert.match(body, /^hello from dropship \(instance 0, node v24\.\d+\.\d+, up \d+\w+\)/);
});

test('a second push replaces the running app on the same URL, from the warm cache', async () => {
  const first = (await dropship('ps', name, '--json'));
  const before = JSON.parse(first.stdout)[0];
  const result = await dropship('push', app, '--name', name, '--json');
  assert.is(result.exitCode, 0, result.stderr);
  assert.match(result.stderr, 'Using cached Node.js 24.');
  const summary = JSON.parse(result.stdout) as PushJson;
  assert.is(summary.imageReused, true);
  assert.is(summary.digest, digest);
  assert.is(summary.url, `http://127.0.0.1:${before.hostPort}`);
  assert.match(await get(summary.url!), 'hello from dropship (instance 0');
  const apps = JSON.parse((await dropship('ps', name, '--json')).stdout);
  assert.is(apps.length, 1);
  assert.is(apps[0].instances.length, 1);
});

test('a push of changed source builds a new image under the same tag', async () => {
  const changed = join(tmpdir(), `${name}-changed`);
  try {
    await cp(app, changed, { recursive: true });
    await writeFile(join(changed, 'changed.txt'), 'a file the droplet did not have\n');
    const summary = (await pushJson(changed, '--name', name, '--no-start')) as PushJson;
    assert.is(summary.imageReused, false);
    assert.is.not(summary.digest, digest);
  } finally {
    await rm(changed, { recursive: true, force: true });
  }
});

test('push --strategy rolling replaces the running instance while a polling client sees no failed request', async () => {
  const before = JSON.parse((await dropship('ps', name, '--json')).stdout)[0];
  const url = `http://127.0.0.1:${before.hostPort}`;
  const failures: string[] = [];
  let answered = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      try {
        if ((await get(url)).startsWith('hello from dropship')) answered++;
        else failures.push('unexpected answer');
      } catch (error) {
        failures.push(String(error));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const result = await dropship('push', app, '--name', name, '--strategy', 'rolling', '--json');
  polling = false;
  await poller;
  assert.is(result.exitCode, 0, result.stderr);
  assert.match(result.stderr, 'replacing instances one at a time');
  assert.equal(failures, []);
  assert.ok(answered > 0, 'the client got answers during the push');
  const apps = JSON.parse((await dropship('ps', name, '--json')).stdout);
  assert.is(apps[0].instances.length, 1);
});

test.run();
