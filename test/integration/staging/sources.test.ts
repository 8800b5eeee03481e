import '../../helpers/env.js';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TEST_HOME, uniqueName } from '../../helpers/env.js';
import { createBuildpack, deleteBuildpack, parseBuildpackUrl, updateBuildpack, urlCacheKey } from '../../../src/buildpack/index.js';
import { homePaths } from '../../../src/home.js';
import { APPS, BUILDPACKS, dropletEntries, inScratch, scratch, stageApp } from './helpers.js';

test('buildpacks from a .tgz (nested top dir) and a .zip (flat)', async () => {
  await inScratch('archives', async ({ out, name }) => {
    const tgz = join(out, 'final.tgz');
    execFileSync('tar', ['-czf', tgz, '-C', BUILDPACKS, 'final-finalize']);
    const zip = join(out, 'tool.zip');
    execFileSync('zip', ['-qr', zip, '.'], { cwd: join(BUILDPACKS, 'supply-tool') });
    const { result, lines } = await stageApp('multi-app', out, name, { buildpacks: [zip, tgz] });
    assert.ok(lines.includes('-----> Supply Tool Buildpack 0'));
    assert.equal(result.result.lifecycle_metadata.buildpacks, [
      { key: zip, name: 'supply-tool', version: '0.3.0' },
      { key: tgz, name: 'final-finalize', version: '2.1.0' },
    ]);
    assert.ok(dropletEntries(result.droplet.path).has('deps/0/bin/tool'));
  });
});

test('a buildpack from a URL served on loopback, pinned by sha256 and cached by URL', async () => {
  const { out, name, cleanup } = await scratch('url');
  const tgz = join(out, 'legacy.tgz');
  execFileSync('tar', ['-czf', tgz, '-C', BUILDPACKS, 'legacy-compile']);
  const sha = createHash('sha256').update(await readFile(tgz)).digest('hex');
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.writeHead(200);
    createReadStream(tgz).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // A unique path: the URL cache is shared by the test store.
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${uniqueName('bp')}.tgz#sha256=${sha}`;
  try {
    const first = await stageApp('legacy-app', out, name, { buildpacks: [url], env: { GREETING: 'from a URL' } });
    assert.ok(first.lines.includes('-----> Legacy Compile Buildpack'));
    assert.is(first.result.result.lifecycle_metadata.buildpack_key, url.split('#')[0]);
    await stageApp('legacy-app', out, name, { buildpacks: [url], dropletPath: join(out, 'second.tgz') });
    assert.is(requests, 1, 'the second staging uses the cached download');
  } finally {
    server.close();
    await rm(join(homePaths(TEST_HOME).buildpacks, 'cache', urlCacheKey(parseBuildpackUrl(url).url)), { recursive: true, force: true });
    await cleanup();
  }
});

test('the detect order: a registered buildpack ahead of the built-ins, then moved behind them', async () => {
  const { out, name, cleanup } = await scratch('order');
  const registered = uniqueName('h3-legacy');
  try {
    await createBuildpack(registered, join(BUILDPACKS, 'legacy-compile'), { position: 1, home: TEST_HOME });
    const first = await stageApp('legacy-app', out, name);
    assert.is(first.result.detectedBuildpack, 'Legacy');
    assert.is(first.result.result.lifecycle_metadata.buildpack_key, registered);
    // Behind the built-ins, it still wins over staticfile's weak match on a bare index.html
    // (staticfile takes that only when nothing else detects)...
    await updateBuildpack(registered, { position: 999, home: TEST_HOME });
    const second = await stageApp('legacy-app', out, name, { dropletPath: join(out, 'second.tgz') });
    assert.is(second.result.detectedBuildpack, 'Legacy');
    // ...but not over a Staticfile, which staticfile, now ahead of it, detects at once.
    const app = join(out, 'with-staticfile');
    await cp(join(APPS, 'legacy-app'), app, { recursive: true });
    await writeFile(join(app, 'Staticfile'), '');
    const third = await stageApp(app, out, name, { dropletPath: join(out, 'third.tgz') });
    assert.is(third.result.detectedBuildpack, 'staticfile');
  } finally {
    await deleteBuildpack(registered, { home: TEST_HOME }).catch(() => undefined);
    await cleanup();
  }
});

test.run();
