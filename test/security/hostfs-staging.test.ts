// Issue 10 items 2 and 4, through real staging: what buildpack code writes (cache, build dir, deps) is
// container-controlled, and the host's root must never follow a link planted there nor keep a setuid
// bit or special file it made. Failed on the code before this change: the second staging chowned a
// host directory the first had linked as its cache dir; the droplet kept a setuid bit and a fifo.
import '../helpers/env.js';
import { chmod, mkdtemp, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { homePaths } from '../../src/home.js';
import { TEST_HOME } from '../helpers/env.js';
import { skipUnlessRoot } from '../helpers/assert.js';
import { dropletEntries, inScratch, stageApp } from '../integration/staging/helpers.js';
import { buildpackScripts, hostileTgz, hostViolations, idBinary } from './hostfs-helpers.js';

/** A buildpack directory on the host with these scripts. */
async function buildpackDir(dir: string, compile: string): Promise<string> {
  for (const e of buildpackScripts(compile)) {
    if (e.type === 'directory') await mkdir(join(dir, e.name), { recursive: true });
    else await writeFile(join(dir, e.name), e.body ?? '', { mode: e.mode });
  }
  return dir;
}

test('a cache dir (and a file in it) replaced by links to host paths: the next staging leaves the host paths alone', () => inScratch('hostfs-cache', async ({ out, name }) => {
  if (skipUnlessRoot('staging runs containers as root')) return;
  const target = await mkdtemp(join('/tmp', 'dropship-hostfs-target-'));
  try {
    await chmod(target, 0o750);
    await writeFile(join(target, 'secret'), 'host secret\n', { mode: 0o600 });
    const before = [await stat(target), await stat(join(target, 'secret'))].map((s) => [s.uid, s.gid, s.mode]);
    // First staging: the cache holds a normal file; then the buildpack turns `final` into a link to
    // the host directory and plants a link to the host file inside a cache dir of its own.
    const bp = await buildpackDir(join(out, 'bp'), [
      'set -e',
      'if [ -e "$2/seen" ]; then echo second staging; fi',
      'mkdir -p "$2/sub" && ln -sfn ' + join(target, 'secret') + ' "$2/sub/secret-link"',
      'cd / && rm -rf "$2" && ln -s ' + target + ' "$2"',
    ].join('\n'));
    const options = { buildpacks: [bp], network: false, dropletPath: join(out, 'a.tgz') };
    await stageApp('static-site', out, name, options);
    await stageApp('static-site', out, name, { ...options, dropletPath: join(out, 'b.tgz') });
    await stageApp('static-site', out, name, { ...options, dropletPath: join(out, 'c.tgz'), noCache: true });
    const after = [await stat(target), await stat(join(target, 'secret'))].map((s) => [s.uid, s.gid, s.mode]);
    assert.equal(after, before, 'host directory and file keep their owner and mode');
  } finally {
    await rm(target, { recursive: true, force: true });
  }
}));

test('setuid bits, fifos and foreign-looking files a buildpack makes reach neither the droplet nor the host cache', () => inScratch('hostfs-drop', async ({ out, name }) => {
  if (skipUnlessRoot('staging runs containers as root')) return;
  const bp = await buildpackDir(join(out, 'bp'), [
    'set -e',
    'cp /bin/busybox "$1/suid" && chmod 4755 "$1/suid"',
    'cp /bin/busybox "$2/suid" && chmod 6755 "$2/suid"',
    'mkdir -p "$1/sgid-dir" && chmod 2775 "$1/sgid-dir"',
    'mkfifo "$1/pipe" "$2/pipe"',
    'ln -s /etc/shadow "$1/shadow-link"',
  ].join('\n'));
  const { result } = await stageApp('static-site', out, name, { buildpacks: [bp], network: false });
  const entries = dropletEntries(result.droplet.path);
  assert.ok(entries.has('app/suid'), 'the file itself is kept');
  const bad = [...entries].filter(([, v]) => /^[p]|^...[sS]|^......[sS]/.test(v));
  assert.equal(bad, [], 'no setuid/setgid entry or fifo in the droplet');
  assert.is(entries.get('app/shadow-link'), 'lrwxrwxrwx 2000/2000 -> /etc/shadow', 'links stay links');
  const cache = join(homePaths(TEST_HOME).cache, name);
  const vcap = await stat(cache);
  assert.equal(await hostViolations(cache, [{ uid: vcap.uid, gid: vcap.gid }]), []);
}));

test('-b FILE.tgz with setuid files and a device node: what the buildpack sees mounted from the host has none', () => inScratch('hostfs-b', async ({ out, name }) => {
  if (skipUnlessRoot('staging runs containers as root')) return;
  // The compile step lists its own (host) files as the bind mount shows them.
  const file = await hostileTgz(join(out, 'bp.tgz'), [
    ...buildpackScripts('for f in $(find /tmp/buildpacks/0); do echo "HOSTFILE $(stat -c "%a %F" "$f")"; done'),
    { name: 'bin/suid-id', type: 'file', mode: 0o4755, body: idBinary() },
    { name: 'null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 },
  ]);
  const { lines } = await stageApp('static-site', out, name, { buildpacks: [file], network: false });
  const files = lines.filter((l) => l.startsWith('HOSTFILE '));
  assert.ok(files.length >= 5, `the buildpack listed its files: ${files.join('; ')}`);
  assert.equal(files.filter((l) => /^HOSTFILE [2467]\d{3} |special/.test(l)), []);
  assert.equal(await hostViolations(join(homePaths(TEST_HOME).buildpacks)).then((v) => v.filter((x) => !x.includes('owner'))), []);
}));

test.run();
