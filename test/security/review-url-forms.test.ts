// Review of the private-URL refusal (issue 10 item 11): every spelling of a loopback or private
// address a manifest can write. The loopback ones are asserted on a real server on 127.0.0.1 (no
// request may reach it); the rest are address classes this host cannot route, asserted on the policy.
// Failed before this change: 64:ff9b:1::/48 (local-use NAT64, RFC 8215: translated to IPv4, private
// ones included, by a translator on the local network) and ::ffff:0:0/96 (SIIT, RFC 6052/7915) were public.
import '../helpers/env.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveBuildpack } from '../../src/buildpack/index.js';
import { isPublicAddress, refusedUrlHost } from '../../src/buildpack/url-policy.js';
import { rejects } from '../helpers/assert.js';
import { packTgz, serveFiles } from '../unit/buildpack/helpers.js';

test('every spelling of a loopback address in a manifest URL is refused; the loopback server sees nothing', async () => {
  const home = await mkdtemp(join(tmpdir(), 'dropship-review-url-'));
  const served = await serveFiles({ '/bp.tgz': packTgz('legacy-compile', join(home, 'bp.tgz')) });
  try {
    const port = new URL(served.base).port;
    // Decimal, octal, hex, short forms, the any-address (Linux connects it to the host itself),
    // a trailing dot, percent-encoding, IPv6 loopback, IPv4-mapped and IPv4-compatible forms.
    const hosts = ['2130706433', '017700000001', '0x7f.1', '0x7f000001', '127.1', '0', '0.0.0.0', '127.0.0.1.', '%31%32%37.0.0.1',
      '[::1]', '[::ffff:7f00:1]', '[0:0:0:0:0:ffff:127.0.0.1]', '[::127.0.0.1]', '[::]'];
    for (const host of hosts) {
      const url = `http://${host}:${port}/bp.tgz`;
      const error = await rejects(() => resolveBuildpack(url, 0, { home, scratchDir: home, fetch: { fromApp: 'manifest.yml' } }), /private|loopback/);
      assert.is((error as { code?: string }).code, 'BUILDPACK_URL_PRIVATE', url);
    }
    assert.equal(served.hits, {}, 'a request reached the loopback server');
  } finally {
    served.server.close();
    await rm(home, { recursive: true, force: true });
  }
});

test('addresses that reach private IPv4 through a translator, or are reserved, are not public', () => {
  for (const address of ['64:ff9b:1::a00:1', '64:ff9b:1:ffff::1', '::ffff:0:7f00:1', '::ffff:0:a00:1', '64:ff9b::7f00:1',
    '2002:a00:1::', '::ffff:a9fe:a9fe', '3fff::1', '5f00::1', '2001:2::1', '2001:10::1', '2001:20::1', 'fe80::1', 'fd00::1']) {
    assert.not.ok(isPublicAddress(address), address);
    assert.is(refusedUrlHost(new URL(`http://[${address}]/`)), new URL(`http://[${address}]/`).hostname.slice(1, -1), address);
  }
  // Public ones stay public: a global unicast, a NAT64 of a public IPv4, a public IPv4.
  for (const address of ['2a00:1450:4001:80b::200e', '64:ff9b::808:808', '8.8.8.8']) assert.ok(isPublicAddress(address), address);
});

test.run();
