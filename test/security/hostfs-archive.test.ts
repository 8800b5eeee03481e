// Issue 10 item 2: buildpack archives are extracted (and buildpack trees copied) as root on the host.
// Whatever the archive says, the host must end up with root-owned, setuid-free, device-free files,
// all inside the target. Failed on the code before this change: setuid/setgid kept (a local user ran
// `id` as euid 0), a device node created, absolute and through-symlink entries extracted.
import '../helpers/env.js';
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBuildpack, extractBuildpackArchive, readOrder, resolveBuildpack } from '../../src/buildpack/index.js';
import { rejects, skipUnlessRoot } from '../helpers/assert.js';
import { buildpackScripts, hostileTgz, hostileZip, hostViolations, idBinary, runAs, withLocalUser, type HostileEntry } from './hostfs-helpers.js';

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-hostfs-'));
  // Traversable by the local user: what protects the host must be the files, not this directory.
  await chmod(dir, 0o755);
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** setuid-root `id`, a setgid file, a device node and files of foreign owners, nested once as release tarballs are. */
function hostileMembers(prefix: string): HostileEntry[] {
  return [
    { name: prefix, type: 'directory', mode: 0o755 },
    ...buildpackScripts().map((e) => ({ ...e, name: prefix + e.name })),
    { name: `${prefix}bin/suid-id`, type: 'file', mode: 0o4755, body: idBinary() },
    { name: `${prefix}bin/sgid-id`, type: 'file', mode: 0o2755, body: idBinary() },
    { name: `${prefix}sgid-dir/`, type: 'directory', mode: 0o2777 },
    { name: `${prefix}null`, type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 },
    { name: `${prefix}pipe`, type: 'fifo', mode: 0o666 },
    { name: `${prefix}foreign`, type: 'file', mode: 0o644, uid: 1234, gid: 5678, body: 'x' },
    { name: `${prefix}writable`, type: 'file', mode: 0o666, body: 'x' },
  ];
}

test('a hostile .tgz: no setuid/setgid bit, no device or fifo, all root-owned, not writable by others', () => inTemp(async (dir) => {
  if (skipUnlessRoot('extraction as root is what is under test')) return;
  const file = await hostileTgz(join(dir, 'bp.tgz'), hostileMembers('bp/'));
  const root = await extractBuildpackArchive(file, join(dir, 'out'));
  assert.is(root, join(dir, 'out', 'bp'));
  assert.equal(await hostViolations(join(dir, 'out')), []);
  assert.is((await stat(join(root, 'writable'))).mode & 0o022, 0, 'not writable by group or others');
  assert.ok((await stat(join(root, 'bin', 'suid-id'))).mode & 0o111, 'still executable');
}));

test('a hostile .zip: no setuid/setgid bit, no device, all root-owned', () => inTemp(async (dir) => {
  if (skipUnlessRoot('extraction as root is what is under test')) return;
  const file = hostileZip(join(dir, 'bp.zip'), hostileMembers('').filter((e) => e.type !== 'fifo' && e.name !== ''));
  const root = await extractBuildpackArchive(file, join(dir, 'out'));
  assert.is(root, join(dir, 'out'));
  assert.equal(await hostViolations(join(dir, 'out')), []);
}));

test('buildpack create FILE.tgz: a real local user cannot get euid 0 from the stored files', () => inTemp(async (dir) => {
  if (skipUnlessRoot('useradd and extraction as root')) return;
  const file = await hostileTgz(join(dir, 'bp.tgz'), hostileMembers('bp/'));
  const home = join(dir, 'home');
  const listing = await createBuildpack('hostile', file, { home });
  assert.is(listing.name, 'hostile');
  const store = join(home, 'buildpacks', 'registered');
  const entry = (await readOrder(home)).find((e) => e.name === 'hostile');
  const bpDir = entry?.source === 'registered' ? entry.dir : '';
  await withLocalUser(async (user) => {
    const euid = runAs(user.name, join(bpDir, 'bin', 'suid-id'), ['-u']);
    assert.ok(euid === undefined || Number(euid) === user.uid, `the local user ran bin/suid-id with euid ${euid}`);
    const egid = runAs(user.name, join(bpDir, 'bin', 'sgid-id'), ['-g']);
    assert.ok(egid === undefined || egid !== '0', `the local user ran bin/sgid-id with egid ${egid}`);
  });
  assert.equal(await hostViolations(store), []);
}));

test('buildpack create DIR: a directory with a setuid file is copied without the bit', () => inTemp(async (dir) => {
  if (skipUnlessRoot('extraction as root is what is under test')) return;
  const file = await hostileTgz(join(dir, 'bp.tgz'), hostileMembers('bp/').filter((e) => e.type !== 'character-device'));
  // A tree with setuid files as root can make them (GNU tar keeps modes for root).
  const { execFileSync } = await import('node:child_process');
  execFileSync('tar', ['-xzf', file, '-C', dir, '--same-permissions']);
  assert.ok((await stat(join(dir, 'bp', 'bin', 'suid-id'))).mode & 0o4000, 'fixture has its setuid bit');
  const home = join(dir, 'home');
  await createBuildpack('hostile-dir', join(dir, 'bp'), { home });
  assert.equal(await hostViolations(join(home, 'buildpacks', 'registered')), []);
}));

test('metadata files linked to host files are not read: the link is refused by name', () => inTemp(async (dir) => {
  if (skipUnlessRoot('extraction as root is what is under test')) return;
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(dir, 'host-secret'), 'version: host-secret-content\n', { mode: 0o600 });
  const file = await hostileTgz(join(dir, 'bp.tgz'), [
    ...buildpackScripts(),
    { name: 'manifest.yml', type: 'symlink', mode: 0o777, linkname: join(dir, 'host-secret') },
  ]);
  const home = join(dir, 'home');
  const error = await rejects(() => resolveBuildpack(file, 0, { home, scratchDir: join(dir, 'scratch') }), /manifest\.yml is a symlink/);
  assert.not.match(error.message, /host-secret-content/);
}));

/** Each member that would land outside the target, alone in an archive with a valid buildpack. */
const ESCAPES: Array<{ what: string; entries: (outside: string) => HostileEntry[]; entry: string }> = [
  { what: '../', entries: () => [{ name: 'bin/../../escaped', type: 'file', mode: 0o644, body: 'x' }], entry: 'bin/../../escaped' },
  { what: 'absolute', entries: (outside) => [{ name: `${outside}/absolute`, type: 'file', mode: 0o644, body: 'x' }], entry: '/absolute' },
  {
    what: 'through a symlink',
    entries: (outside) => [
      { name: 'lnk', type: 'symlink', mode: 0o777, linkname: outside },
      { name: 'lnk/planted', type: 'file', mode: 0o644, body: 'x' },
    ],
    entry: 'lnk/planted',
  },
];

for (const kind of ['tgz', 'zip'] as const) {
  for (const escape of ESCAPES) {
    test(`a .${kind} member ${escape.what} is refused, naming the archive and member; nothing lands outside`, () => inTemp(async (dir) => {
      if (skipUnlessRoot('extraction as root is what is under test')) return;
      const outside = join(dir, 'outside');
      await import('node:fs/promises').then((fs) => fs.mkdir(outside));
      const entries = [...buildpackScripts(), ...escape.entries(outside)];
      const file = kind === 'tgz' ? await hostileTgz(join(dir, `bp.${kind}`), entries) : hostileZip(join(dir, `bp.${kind}`), entries);
      const error = await rejects(() => extractBuildpackArchive(file, join(dir, 'work', 'out')), new RegExp(`bp\\.${kind}: .*${escape.entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match((error as { hint?: string }).hint ?? '', /\w/);
      assert.equal(await readdir(outside), [], 'nothing written outside');
      // Neither the escaped member nor a half-extracted target is left.
      assert.equal(await readdir(join(dir, 'work')).catch(() => []), []);
    }));
  }
}

test('.zip only: a DOS-style ..\\ name and a link under a link member are refused before anything is written', () => inTemp(async (dir) => {
  if (skipUnlessRoot('extraction as root is what is under test')) return;
  const outside = join(dir, 'outside');
  await import('node:fs/promises').then((fs) => fs.mkdir(outside));
  const cases: Array<[HostileEntry[], RegExp]> = [
    [[{ name: 'bin\\..\\..\\escaped', type: 'file', mode: 0o644, body: 'x' }], /member 'bin\\\.\.\\\.\.\\escaped' has a '\.\.' component/],
    [[
      { name: 'lnk', type: 'symlink', mode: 0o777, linkname: outside },
      { name: 'lnk/inner', type: 'symlink', mode: 0o777, linkname: '/etc/shadow' },
    ], /member 'lnk\/inner' goes through 'lnk', a file or symlink of the archive/],
  ];
  for (const [entries, pattern] of cases) {
    const file = hostileZip(join(dir, 'bp.zip'), [...buildpackScripts(), ...entries]);
    await rejects(() => extractBuildpackArchive(file, join(dir, 'work', 'out')), pattern);
    assert.equal(await readdir(outside), []);
    assert.equal(await readdir(join(dir, 'work')), []);
  }
}));

test.run();
