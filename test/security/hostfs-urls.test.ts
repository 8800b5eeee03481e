// Issue 10 item 11: a buildpack URL in an app's manifest.yml made the host fetch from loopback (and
// follow redirects there). URLs from an app's own files may only reach public addresses, checked on
// the address actually connected to, before and after every redirect; the operator may allow more.
// Failed on the code before this change: every request below reached the loopback server.
import '../helpers/env.js';
import { mkdtemp, rm, writeFile, cp } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchBuildpack, resolveBuildpack } from '../../src/buildpack/index.js';
import { homePaths } from '../../src/home.js';
import { TEST_HOME, uniqueName } from '../helpers/env.js';
import { rejects } from '../helpers/assert.js';
import { packTgz, serveFiles } from '../unit/buildpack/helpers.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const APPS = new URL('../../fixtures/apps/', import.meta.url).pathname;

async function withServer(fn: (s: Awaited<ReturnType<typeof serveFiles>> & { home: string }) => Promise<void>): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'dropship-hostfs-url-'));
  const served = await serveFiles({ '/bp.tgz': packTgz('legacy-compile', join(home, 'bp.tgz')) });
  try {
    await fn({ ...served, home });
  } finally {
    served.server.close();
    await rm(home, { recursive: true, force: true });
  }
}

test('a manifest URL to 127.0.0.1 or to a name that resolves to loopback is refused before any request', () => withServer(async ({ base, hits, home }) => {
  const port = new URL(base).port;
  for (const url of [`${base}/bp.tgz`, `http://localhost:${port}/bp.tgz`, `http://[::ffff:127.0.0.1]:${port}/bp.tgz`]) {
    const error = await rejects(() => resolveBuildpack(url, 0, { home, scratchDir: home, fetch: { fromApp: true } }), /private|loopback/);
    assert.is((error as { code?: string }).code, 'BUILDPACK_URL_PRIVATE', url);
    assert.match((error as { hint?: string }).hint ?? '', /DROPSHIP_ALLOW_PRIVATE_BUILDPACK_URLS=1/);
  }
  assert.equal(hits, {}, 'the loopback server was never asked');
}));

test('a manifest may not name host paths as buildpacks (directories or archives); names still work', () => withServer(async ({ home }) => {
  const archive = packTgz('legacy-compile', join(home, 'host-only.tgz'));
  for (const value of [archive, join(home), '/', 'host-only.tgz']) {
    const error = await rejects(() => resolveBuildpack(value, 0, { home, scratchDir: join(home, 'scratch'), fetch: { fromApp: '/app/manifest.yml' } }), /from \/app\/manifest\.yml\) is not a known buildpack name/);
    assert.is((error as { code?: string }).code, 'BUILDPACK_PATH_FROM_APP', value);
  }
  const named = await resolveBuildpack('staticfile', 0, { home, scratchDir: join(home, 'scratch'), fetch: { fromApp: '/app/manifest.yml' } });
  assert.is(named.source, 'builtin');
}));

test('a redirect from an allowed server to a denied address is refused at connect time', async () => {
  // Only loopback may be used here, so 127.0.0.1 plays the public server and 127.0.0.2 the private one.
  const policy = (address: string) => address === '127.0.0.1';
  await withServer(async ({ base, hits, home }) => {
    let privateHits = 0;
    const hidden = createServer((_req, res) => {
      privateHits++;
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => hidden.listen(0, '127.0.0.2', resolve));
    const hiddenPort = (hidden.address() as AddressInfo).port;
    const redirector = createServer((req, res) => {
      const to = req.url === '/to-ip' ? `http://127.0.0.2:${hiddenPort}/bp.tgz` : `${base.replace('127.0.0.1', 'localhost')}/bp.tgz`;
      res.writeHead(302, { location: to }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const { port } = redirector.address() as AddressInfo;
    try {
      const error = await rejects(() => fetchBuildpack(`http://127.0.0.1:${port}/to-ip`, { home, fromApp: true, addressAllowed: policy }), /127\.0\.0\.2/);
      assert.is((error as { code?: string }).code, 'BUILDPACK_URL_PRIVATE');
      assert.is(privateHits, 0, 'the private server was never asked');
      // The same policy lets the allowed address through, also by name (localhost resolves to it).
      const fetched = await fetchBuildpack(`http://127.0.0.1:${port}/to-name`, { home, fromApp: true, addressAllowed: policy });
      assert.is(fetched.cached, false);
      assert.is(hits['/bp.tgz'], 1);
    } finally {
      redirector.close();
      hidden.close();
    }
  });
});

test('the operator may allow private URLs from manifests; -b URLs typed by the operator are always fetched', () => withServer(async ({ base, hits, home }) => {
  const before = process.env.DROPSHIP_ALLOW_PRIVATE_BUILDPACK_URLS;
  process.env.DROPSHIP_ALLOW_PRIVATE_BUILDPACK_URLS = '1';
  try {
    const bp = await resolveBuildpack(`${base}/bp.tgz`, 0, { home, scratchDir: home, fetch: { fromApp: true } });
    assert.is(bp.source, 'url');
  } finally {
    if (before === undefined) delete process.env.DROPSHIP_ALLOW_PRIVATE_BUILDPACK_URLS;
    else process.env.DROPSHIP_ALLOW_PRIVATE_BUILDPACK_URLS = before;
  }
  const operator = await fetchBuildpack(`${base}/bp.tgz`, { home, refresh: true });
  assert.is(operator.cached, false);
  assert.is(hits['/bp.tgz'], 2);
}));

test('dropship push: a manifest.yml buildpack URL to 127.0.0.1 fails with the manifest named; the flag allows it', () => withServer(async ({ base, hits, home }) => {
  const app = join(home, 'app');
  await cp(join(APPS, 'legacy-app'), app, { recursive: true });
  const name = uniqueName('hostfs-url');
  await writeFile(join(app, 'manifest.yml'), `applications:\n- name: ${name}\n  stack: tiny\n  buildpacks:\n  - ${base}/bp.tgz\n`);
  try {
    const run = await execa('node', ['--import', 'tsx', MAIN, 'push', app, '--no-start'], { reject: false, env: { CI: '1' } });
    assert.is.not(run.exitCode, 0);
    assert.match(run.stderr, /^error: .*127\.0\.0\.1.*manifest\.yml/m);
    assert.match(run.stderr, /^hint: .*--allow-private-buildpack-urls/m);
    assert.equal(hits, {}, 'the loopback server was never asked');
    // With the operator's flag the URL is fetched (the push goes on to stage and build the image).
    const allowed = await execa('node', ['--import', 'tsx', MAIN, 'push', app, '--no-start', '--allow-private-buildpack-urls'], { reject: false, env: { CI: '1' } });
    assert.is(hits['/bp.tgz'], 1, allowed.stderr);
  } finally {
    await rm(join(homePaths(TEST_HOME).cache, name), { recursive: true, force: true });
    await execa('node', ['--import', 'tsx', MAIN, 'delete', name], { reject: false });
    await execa('node', ['--import', 'tsx', MAIN, 'image', 'rm', name], { reject: false });
  }
}));

test.run();
