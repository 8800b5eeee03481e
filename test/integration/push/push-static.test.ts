import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request, type IncomingHttpHeaders } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { uniqueName } from '../../helpers/env.js';
import { FIXTURES, get, pushJson, removePushed, type PushJson } from './helpers.js';

const name = uniqueName('it-push-static');
const spa = uniqueName('it-push-spa');
const spaTiny = uniqueName('it-push-spa-tiny');

test.after(async () => {
  for (const app of [name, spa, spaTiny]) await removePushed(app);
});

interface Answer { status: number; headers: IncomingHttpHeaders; body: Buffer }

function fetchRaw(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 5000, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

const appJs = () => readFile(join(FIXTURES, 'static-spa/dist/assets/app.js'));

test('a static site is detected by the staticfile buildpack and served on bookworm', async () => {
  const summary = (await pushJson(join(FIXTURES, 'static-site'), '--name', name)) as PushJson;
  assert.is(summary.state, 'running');
  assert.match(summary.buildpacks.join(','), /^staticfile /);
  assert.match(await get(`${summary.url}/`), '<h1>Hello from a static site</h1>');
});

test('bookworm: nginx serves a single-page app with gzip and pushstate routes', async () => {
  const summary = (await pushJson(join(FIXTURES, 'static-spa'), '--name', spa)) as PushJson;
  assert.is(summary.startCommand, 'sh .dropship-nginx/start.sh');
  const index = await fetchRaw(`${summary.url}/`);
  assert.is(index.status, 200);
  assert.match(index.body.toString(), '<h1>Hello from a single-page app</h1>');
  assert.is(index.headers.server, 'nginx');

  const js = await fetchRaw(`${summary.url}/assets/app.js`, { 'Accept-Encoding': 'gzip' });
  assert.is(js.status, 200);
  assert.is(js.headers['content-encoding'], 'gzip');
  assert.ok(gunzipSync(js.body).equals(await appJs()));

  const route = await fetchRaw(`${summary.url}/some/route`);
  assert.is(route.status, 200);
  assert.match(route.body.toString(), '<h1>Hello from a single-page app</h1>');
  assert.is((await fetchRaw(`${summary.url}/.hidden`)).status, 404);
});

test('tiny: busybox httpd serves the pre-compressed assets; pushstate is not available there', async () => {
  const summary = (await pushJson(join(FIXTURES, 'static-spa'), '--name', spaTiny, '-s', 'tiny')) as PushJson;
  assert.match(summary.startCommand ?? '', /^busybox httpd /);
  const js = await fetchRaw(`${summary.url}/assets/app.js`, { 'Accept-Encoding': 'gzip' });
  assert.is(js.status, 200);
  assert.is(js.headers['content-encoding'], 'gzip');
  assert.ok(gunzipSync(js.body).equals(await appJs()));
  const plain = await fetchRaw(`${summary.url}/assets/app.js`);
  assert.ok(plain.body.equals(await appJs()), 'a client without gzip gets the original');
  assert.is((await fetchRaw(`${summary.url}/some/route`)).status, 404);
});

test.run();
