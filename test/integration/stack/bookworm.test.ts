import { TEST_HOME } from '../../helpers/env.js';
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { homePaths } from '../../../src/home.js';
import { ensureUnpacked } from '../../../src/oci/index.js';
import { defaultIdMap } from '../../../src/security/idmap.js';
import { ensureStack } from '../../../src/stack/index.js';

// Built once per machine in the shared test store (about a minute: debootstrap), reused after.
const shared = homePaths(TEST_HOME);

test('bookworm: minbase plus the cflinuxfs-like packages, vcap, en_US.UTF-8, no apt caches', async () => {
  const info = await ensureStack('bookworm', { home: shared, onLog: (line) => process.env.DEBUG && console.log(line) });
  assert.is(info.digest, info.diffId);
  assert.ok(info.size > 50 * 1024 * 1024 && info.size < 250 * 1024 * 1024, `layer size ${info.size}`);
  const root = await ensureUnpacked(info.diffId, defaultIdMap({}), shared);
  assert.match(readFileSync(join(root, 'etc/passwd'), 'utf8'), 'vcap:x:2000:2000:');
  assert.is(lstatSync(join(root, 'home/vcap')).uid, 1_002_000);
  assert.is(lstatSync(join(root, 'usr/bin/curl')).uid, 1_000_000);
  assert.equal(readdirSync(join(root, 'var/lib/apt/lists')).filter((n) => n !== 'partial' && n !== 'lock'), []);
  assert.is(readFileSync(join(root, 'etc/machine-id'), 'utf8'), '');
  for (const tool of ['bin/bash', 'usr/bin/curl', 'usr/bin/jq', 'bin/busybox', 'usr/bin/unzip', 'usr/bin/xz', 'bin/ps', 'usr/bin/file']) {
    assert.ok(lstatSync(join(root, tool)), tool);
  }
  const locales = execFileSync('chroot', [root, 'locale', '-a'], { encoding: 'utf8' });
  assert.match(locales, /en_US\.utf8/);
});

test.run();
