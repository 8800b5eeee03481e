import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchBuildpack, parseBuildpackUrl, resolveBuildpack } from '../../../src/buildpack/index.js';
import { packTgz, rejects, serveFiles } from './helpers.js';

test('parses a #sha256 pin and keeps it out of the URL', () => {
  const hex = 'a'.repeat(64);
  assert.equal(parseBuildpackUrl(`https://example.test/bp.tgz#sha256=${hex.toUpperCase()}`), { url: 'https://example.test/bp.tgz', sha256: hex });
  assert.throws(() => parseBuildpackUrl('https://example.test/bp.tgz#sha1=abc'), /the fragment must be #sha256=<64 hex digits>/);
  assert.throws(() => parseBuildpackUrl('ftp://example.test/bp.tgz'), /must be http or https/);
});

test('a URL buildpack is downloaded once, cached by URL, pinned, size-capped', async () => {
  const home = await mkdtemp(join(tmpdir(), 'dropship-fetch-'));
  const tgz = packTgz('final-finalize', join(home, 'bp.tgz'));
  const sha = createHash('sha256').update(await readFile(tgz)).digest('hex');
  const junk = join(home, 'junk.tgz');
  await writeFile(junk, Buffer.alloc(4096, 1));
  const { base, hits, server } = await serveFiles({ '/bp.tgz': tgz, '/junk.tgz': junk });
  try {
    const first = await fetchBuildpack(`${base}/bp.tgz#sha256=${sha}`, { home });
    assert.is(first.cached, false);
    assert.is(first.sha256, sha);
    assert.ok((await stat(join(first.dir, 'bin', 'finalize'))).isFile());
    const second = await resolveBuildpack(`${base}/bp.tgz`, 0, { home, scratchDir: home });
    assert.is(second.dir, first.dir);
    assert.is(second.source, 'url');
    assert.is(second.key, `${base}/bp.tgz`);
    assert.is(hits['/bp.tgz'], 1);

    await rejects(() => fetchBuildpack(`${base}/bp.tgz#sha256=${'0'.repeat(64)}`, { home, refresh: true }), /has sha256 .* but the URL pins 0000/);
    await rejects(() => fetchBuildpack(`${base}/junk.tgz`, { home, maxBytes: 1024 }), /is larger than 1.0K/);
    await rejects(() => fetchBuildpack(`${base}/missing.tgz`, { home, retries: 1 }), /could not download buildpack .*missing.tgz: .*404/);
    assert.is(hits['/missing.tgz'], 1, '4xx is not retried');
  } finally {
    server.close();
    await rm(home, { recursive: true, force: true });
  }
});

test.run();
