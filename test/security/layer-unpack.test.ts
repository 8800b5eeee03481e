import { execFileSync } from 'node:child_process';
import { copyFileSync, lstatSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../src/errors.js';
import { unpackLayer, type UnpackOptions } from '../../src/oci/layer-unpack.js';
import { packEntries, type PackEntry } from '../../src/oci/tar-write.js';
import type { IdMap } from '../../src/security/idmap.js';
import { skipUnlessRoot } from '../helpers/assert.js';
import { hostView, xattrsOf } from './host-view.js';

/*
 * Issue 10 item 1: a layer replaces a directory by a symlink to a host path after entries inside
 * that directory; whatever the unpacker still had to do there (xattrs, whiteouts, directory times,
 * chmod/chown, hard links) must not land on the host path. Every test unpacks a real tar as root,
 * with ids shifted as for a container, and compares the host's view of the victim (content, mode,
 * owner, link count, mtime, every xattr incl. security.capability and trusted.*) before and after.
 */

const idMap: IdMap = { uidMap: [{ containerID: 0, hostID: 1_000_000, size: 65536 }], gidMap: [{ containerID: 0, hostID: 1_000_000, size: 65536 }] };
/** vfs_cap_data revision 2, cap_sys_admin+ep: a host binary with it makes its runner root-equivalent. */
const CAP_SYS_ADMIN = Buffer.from([0x01, 0, 0, 0x02, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const OLD = 1_234_567_890;

let work = '';
let root = '';
let victim = '';
test.before.each(async () => {
  work = await mkdtemp(join(tmpdir(), 'dropship-sec-unpack-'));
  root = join(work, 'root');
  victim = join(work, 'victim');
  await mkdir(root, { mode: 0o755 });
  await mkdir(join(victim, 'sub'), { recursive: true, mode: 0o755 });
  await writeFile(join(victim, 'canary'), 'canary\n', { mode: 0o644 });
  await writeFile(join(victim, 'sub/f'), 'inner\n', { mode: 0o644 });
  copyFileSync('/bin/true', join(victim, 'bin'));
  await chmod(join(victim, 'bin'), 0o755);
  for (const p of ['canary', 'bin', 'sub/f', 'sub', '.']) await utimes(join(victim, p), OLD, OLD);
});
test.after.each(async () => {
  await rm(work, { recursive: true, force: true });
});

function tarOf(entries: Array<Omit<PackEntry, 'mode' | 'uid' | 'gid'> & Partial<PackEntry>>) {
  return packEntries(entries.map((e) => ({ mode: e.type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, ...e }) as PackEntry), { mtime: 1_000_000_000 });
}

/** The two ways a layer names the victim: absolute (fine inside a container) and climbing out of the root. */
const targets = () => [victim, '../victim'];

/**
 * Unpack the layer into the root and return the error (if any); the victim and everything else
 * outside the root must look exactly as before, whatever the outcome.
 */
async function attack(entries: Parameters<typeof tarOf>[0], options: UnpackOptions = { idMap }): Promise<unknown> {
  const outside = () => hostView(work, (rel) => rel === 'root');
  const before = outside();
  let failure: unknown;
  try {
    await unpackLayer(tarOf(entries), root, options);
  } catch (error) {
    failure = error;
    if (!(error instanceof DropshipError)) throw error;
  }
  assert.equal(outside(), before, 'the host outside the root changed');
  return failure;
}

async function fresh(): Promise<void> {
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { mode: 0o755 });
}

test('security.capability of a file in a directory later replaced by a symlink does not land on the host binary', async () => {
  if (skipUnlessRoot('setting security.capability needs root')) return;
  for (const linkname of targets()) {
    await fresh();
    const error = await attack([
      { name: 'd/', type: 'directory' },
      { name: 'd/bin', type: 'file', mode: 0o755, body: 'not a binary', xattrs: { 'security.capability': CAP_SYS_ADMIN } },
      { name: 'd', type: 'symlink', linkname },
    ]);
    assert.is(error, undefined);
    assert.is(execFileSync('getcap', [join(victim, 'bin')], { encoding: 'utf8' }).trim(), '');
    // Later entries win, as in any tar: the link is there, pointing where it points inside a container.
    assert.is(readlinkSync(join(root, 'd')), linkname);
  }
});

test('user.* and trusted.* xattrs never land on the host path', async () => {
  if (skipUnlessRoot('trusted.* xattrs need root')) return;
  for (const linkname of targets()) {
    await fresh();
    await attack([
      { name: 'd/', type: 'directory', xattrs: { 'user.pwn': Buffer.from('1') } },
      { name: 'd/canary', type: 'file', body: 'x', xattrs: { 'user.pwn': Buffer.from('1'), 'trusted.overlay.opaque': Buffer.from('y') } },
      { name: 'd/sub/', type: 'directory', xattrs: { 'trusted.overlay.opaque': Buffer.from('y'), 'user.pwn': Buffer.from('2') } },
      { name: 'd', type: 'symlink', linkname },
    ]);
  }
});

test('an opaque whiteout in a directory later replaced by a symlink does not mark the host directory', async () => {
  if (skipUnlessRoot('trusted.overlay.opaque needs root')) return;
  for (const linkname of targets()) {
    await fresh();
    await attack([
      { name: 'd/', type: 'directory' },
      { name: 'd/sub/', type: 'directory' },
      { name: 'd/sub/.wh..wh..opq', type: 'file', body: '' },
      { name: 'd', type: 'symlink', linkname },
    ]);
    assert.is(xattrsOf(join(victim, 'sub')), '');
  }
});

test('a whiteout in a directory later replaced by a symlink makes no device node on the host', async () => {
  if (skipUnlessRoot('overlay whiteouts need root (mknod)')) return;
  for (const linkname of targets()) {
    await fresh();
    await attack([
      { name: 'd/', type: 'directory' },
      { name: 'd/.wh.evil', type: 'file', body: '' },
      { name: 'd/sub/', type: 'directory' },
      { name: 'd/sub/.wh.evil', type: 'file', body: '' },
      { name: 'd', type: 'symlink', linkname },
    ]);
  }
});

test('directory mtimes, modes and owners are never set through a later symlink', async () => {
  if (skipUnlessRoot('shifting owners needs root')) return;
  for (const linkname of targets()) {
    await fresh();
    await attack([
      { name: 'd/', type: 'directory', mode: 0o777, uid: 1234, gid: 1234 },
      { name: 'd/sub/', type: 'directory', mode: 0o777, uid: 1234, gid: 1234 },
      { name: 'd', type: 'symlink', linkname },
    ]);
    // The other order: a directory entry after the symlink replaces the link, it does not chmod its target.
    await fresh();
    await attack([
      { name: 'd', type: 'symlink', linkname },
      { name: 'd/', type: 'directory', mode: 0o777, uid: 1234, gid: 1234 },
    ]);
    assert.ok(lstatSync(join(root, 'd')).isDirectory());
    assert.is(lstatSync(join(root, 'd')).uid, 1_001_234);
  }
});

test('hard links through a later symlink, or to a symlink, never reach the host file', async () => {
  if (skipUnlessRoot('shifting owners needs root')) return;
  for (const linkname of targets()) {
    await fresh();
    const through = await attack([
      { name: 'd/', type: 'directory' },
      { name: 'd', type: 'symlink', linkname },
      { name: 'x', type: 'link', linkname: 'd/canary' },
    ]);
    assert.instance(through, DropshipError);
    assert.is((through as DropshipError).code, 'UNPACK_ESCAPE');
    await fresh();
    const into = await attack([
      { name: 'f', type: 'file', body: 'mine' },
      { name: 'd/', type: 'directory' },
      { name: 'd', type: 'symlink', linkname },
      { name: 'd/canary', type: 'link', linkname: 'f' },
    ]);
    assert.instance(into, DropshipError);
    await fresh();
    // A hard link to a symlink links the symlink itself (link(2) does not follow), never the host file.
    await attack([
      { name: 's', type: 'symlink', linkname: `${linkname}/canary` },
      { name: 'h', type: 'link', linkname: 's' },
    ]);
    assert.ok(lstatSync(join(root, 'h')).isSymbolicLink());
  }
});

test('a chain of symlinks is not followed, neither by first writes nor by deferred ones', async () => {
  if (skipUnlessRoot('setting security.capability needs root')) return;
  for (const linkname of targets()) {
    await fresh();
    const first = await attack([
      { name: 'b', type: 'symlink', linkname: linkname.startsWith('/') ? linkname : `../${linkname}` },
      { name: 'a', type: 'symlink', linkname: 'b' },
      { name: 'a/evil', type: 'file', body: 'x' },
    ]);
    assert.instance(first, DropshipError);
    await fresh();
    await attack([
      { name: 'a/', type: 'directory' },
      { name: 'a/canary', type: 'file', body: 'x', xattrs: { 'user.pwn': Buffer.from('1') } },
      { name: 'a/.wh.evil', type: 'file', body: '' },
      { name: 'b', type: 'symlink', linkname },
      { name: 'a', type: 'symlink', linkname: 'b' },
    ]);
  }
});

test("'..' after a symlink replaced a directory is refused, naming the entry", async () => {
  if (skipUnlessRoot('shifting owners needs root')) return;
  for (const linkname of targets()) {
    await fresh();
    const error = await attack([
      { name: 'd/', type: 'directory' },
      { name: 'd/e/', type: 'directory' },
      { name: 'd', type: 'symlink', linkname },
      { name: 'd/e/../../x', type: 'file', body: 'x' },
    ]);
    assert.instance(error, DropshipError);
    assert.match((error as DropshipError).message, "entry 'd/e/../../x'");
  }
});

test('apply mode: a layer replacing a lower layer\'s directory by a symlink writes nothing through it', async () => {
  if (skipUnlessRoot('setting security.capability needs root')) return;
  for (const linkname of targets()) {
    await fresh();
    // What a lower layer left in the target.
    await mkdir(join(root, 'd/sub'), { recursive: true });
    await writeFile(join(root, 'd/sub/f'), 'lower');
    await writeFile(join(root, 'd/sub/old'), 'lower');
    await attack([
      { name: 'd/sub/f', type: 'file', body: 'upper', xattrs: { 'security.capability': CAP_SYS_ADMIN, 'user.pwn': Buffer.from('1') } },
      { name: 'd/sub/.wh.old', type: 'file', body: '' },
      { name: 'd/sub/', type: 'directory', mode: 0o777 },
      { name: 'd', type: 'symlink', linkname },
    ], { whiteouts: 'apply' });
    assert.is(execFileSync('getcap', [join(victim, 'sub/f')], { encoding: 'utf8' }).trim(), '');
  }
});

test('overlay mode into a target that already has the directory: nothing lands through the replacing symlink', async () => {
  if (skipUnlessRoot('overlay whiteouts need root')) return;
  for (const linkname of targets()) {
    await fresh();
    await mkdir(join(root, 'd/sub'), { recursive: true });
    await attack([
      { name: 'd/sub/.wh.evil', type: 'file', body: '' },
      { name: 'd/sub/.wh..wh..opq', type: 'file', body: '' },
      { name: 'd/sub/bin', type: 'file', body: 'x', xattrs: { 'security.capability': CAP_SYS_ADMIN } },
      { name: 'd', type: 'symlink', linkname },
    ]);
  }
});

test('a target that is itself a symlink is refused before anything is written', async () => {
  const link = join(work, 'root-link');
  execFileSync('ln', ['-s', victim, link]);
  const before = hostView(victim);
  try {
    await unpackLayer(tarOf([{ name: 'evil', type: 'file', body: 'x' }]), link, { idMap });
    assert.unreachable('should refuse');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as DropshipError).code, 'UNPACK_TARGET');
  }
  assert.equal(hostView(victim), before);
});

test.run();
