import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { homePaths } from '../../src/home.js';
import { openStore } from '../../src/oci/layout.js';
import { ensureUnpacked } from '../../src/oci/unpack-cache.js';
import { packEntries } from '../../src/oci/tar-write.js';
import type { IdMap } from '../../src/security/idmap.js';
import { skipUnlessRoot } from '../helpers/assert.js';

/*
 * Unpacked layers keep the image's setuid files (su, passwd) for use inside containers; a local
 * host user must not be able to reach them, or anything else in an unpacked layer, even knowing
 * the path (diff_ids are public). Checked as a real unprivileged user made by the test.
 */

const idMap: IdMap = { uidMap: [{ containerID: 0, hostID: 1_000_000, size: 65536 }], gidMap: [{ containerID: 0, hostID: 1_000_000, size: 65536 }] };
const user = `dsunp${randomBytes(3).toString('hex')}`;
let work = '';

test.before(() => {
  if (process.getuid?.() !== 0) return;
  execFileSync('useradd', ['--no-create-home', '--shell', '/bin/sh', user]);
});
test.after(() => {
  if (process.getuid?.() !== 0) return;
  spawnSync('userdel', [user]);
});
test.before.each(async () => {
  // Not under /tmp: the test user must be able to reach the store's own directory to try.
  work = await mkdtemp('/var/tmp/dropship-sec-cache-');
  await chmod(work, 0o755);
});
test.after.each(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Run a command as the test user; its exit status. */
function asUser(command: string[]): number {
  const result = spawnSync('setpriv', [`--reuid=${user}`, `--regid=${user}`, '--clear-groups', '--', ...command], { encoding: 'utf8' });
  return result.status ?? -1;
}

test('a local user cannot read or run anything in an unpacked layer; setuid bits stay for the container', async () => {
  if (skipUnlessRoot('shifting ids and creating a user need root')) return;
  const home = homePaths(join(work, 'home'));
  await mkdir(home.root, { mode: 0o755 });
  // An older store left the unpacked layers world-traversable.
  await mkdir(home.unpacked, { mode: 0o755 });
  const layer = packEntries([
    { name: 'bin/', type: 'directory', mode: 0o755, uid: 0, gid: 0 },
    { name: 'bin/su', type: 'file', mode: 0o4755, uid: 0, gid: 0, body: '#!/bin/sh\nid\n' },
    { name: 'etc/', type: 'directory', mode: 0o755, uid: 0, gid: 0 },
    { name: 'etc/motd', type: 'file', mode: 0o644, uid: 0, gid: 0, body: 'hello\n' },
  ]);
  const written = await openStore(home).blobs.writeStream(layer);
  const dir = await ensureUnpacked(written.digest, idMap, home);
  assert.is(lstatSync(join(dir, 'bin/su')).mode & 0o7777, 0o4755, 'inside the container su stays setuid');
  assert.is(lstatSync(home.unpacked).mode & 0o777, 0o700);
  assert.is(asUser(['true']), 0, 'the test user can run commands');
  assert.is(asUser(['ls', home.root]), 0, 'the test user reaches the store root');
  assert.is.not(asUser(['cat', join(dir, 'etc/motd')]), 0, 'a world-readable file of a layer is out of reach');
  assert.is.not(asUser([join(dir, 'bin/su')]), 0, 'a setuid file of a layer cannot be run from the host');
  assert.is.not(asUser(['ls', home.unpacked]), 0, 'the unpacked layers cannot be listed');
});

test('a hostile layer fails the unpack naming the layer digest and the entry, and leaves no half-unpacked tree', async () => {
  if (skipUnlessRoot('the unpack cache shifts ids, which needs root')) return;
  const home = homePaths(join(work, 'home'));
  await mkdir(home.root, { mode: 0o700 });
  const victim = join(work, 'victim');
  await mkdir(victim, { mode: 0o755 });
  const written = await openStore(home).blobs.writeStream(packEntries([
    { name: 'd/', type: 'directory', mode: 0o755, uid: 0, gid: 0 },
    { name: 'd', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: victim },
    { name: 'd/cron', type: 'file', mode: 0o644, uid: 0, gid: 0, body: 'pwned' },
  ]));
  try {
    await ensureUnpacked(written.digest, idMap, home);
    assert.unreachable('should refuse');
  } catch (error) {
    assert.is((error as Error).message, `layer ${written.digest} entry 'd/cron' refused: its parent d is a symlink, and writing through it could leave the root`);
  }
  assert.equal(execFileSync('ls', ['-A', victim], { encoding: 'utf8' }), '');
  assert.equal(execFileSync('ls', ['-A', home.unpacked], { encoding: 'utf8' }), '');
});

test('an unpacked-layer directory that is a symlink is refused', async () => {
  if (skipUnlessRoot('the unpack cache shifts ids, which needs root')) return;
  const home = homePaths(join(work, 'home'));
  await mkdir(home.root, { mode: 0o700 });
  const elsewhere = join(work, 'elsewhere');
  await mkdir(elsewhere, { mode: 0o755 });
  execFileSync('ln', ['-s', elsewhere, home.unpacked]);
  const written = await openStore(home).blobs.writeStream(packEntries([{ name: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0, body: 'x' }]));
  try {
    await ensureUnpacked(written.digest, idMap, home);
    assert.unreachable('should refuse');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'UNPACK_DIR_UNSAFE');
  }
  assert.is(lstatSync(elsewhere).mode & 0o777, 0o755);
  assert.equal(execFileSync('ls', ['-A', elsewhere], { encoding: 'utf8' }), '');
});

test.run();
