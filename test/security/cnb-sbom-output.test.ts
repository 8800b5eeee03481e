import '../helpers/env.js';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isDropshipError } from '../../src/errors.js';
import { writeSbomTree, type SbomFile } from '../../src/cnb/sbom.js';
import { createLocalUser, type LocalUser } from './local-user.js';

/**
 * `--sbom-output-dir DIR` is a directory root writes into that another local user may be able to
 * write too: whatever that user plants in DIR (DIR itself a link, DIR/launch swapped for a link to
 * a host directory while the tree is written) must never make root write outside DIR.
 * Asserted on the host: a root-owned victim directory keeps exactly what it had.
 */

let base: string;
let victim: string;

/** `layers` SBOMs of each kind for each of three buildpacks: enough writes for a racing user to land between. */
function sboms(layers: number): SbomFile[] {
  const files: SbomFile[] = [];
  for (const id of ['evil/a', 'evil/b', 'evil/c']) {
    for (const kind of ['launch', 'build'] as const) {
      files.push({ kind, buildpackId: id, ext: 'cdx', body: Buffer.from('{"own":true}\n') });
      for (let i = 0; i < layers; i++) files.push({ kind, buildpackId: id, layer: `l${i}`, ext: 'cdx', body: Buffer.from(`{"layer":${i}}\n`) });
    }
  }
  return files;
}

async function assertVictimUntouched(): Promise<void> {
  assert.equal(await readdir(victim), ['keep'], 'root wrote into the victim directory');
  assert.is(await readFile(join(victim, 'keep'), 'utf8'), 'keep');
  const info = await lstat(victim);
  assert.is(info.mode & 0o7777, 0o755);
  assert.equal([info.uid, info.gid], [0, 0]);
}

test.before(async () => {
  base = await mkdtemp('/var/tmp/dropship-sbom-out-');
  await chmod(base, 0o755);
});

// A fresh victim for each test, so that one test's failure is not the next one's.
test.before.each(async () => {
  victim = await mkdtemp(join(base, 'victim-'));
  await chmod(victim, 0o755);
  await writeFile(join(victim, 'keep'), 'keep', { mode: 0o644 });
});

test.after(async () => {
  await rm(base, { recursive: true, force: true });
});

test('DIR itself a symlink to a host directory is refused with one line naming DIR and a hint; nothing is written through it', async () => {
  const out = join(base, 'linked-out');
  await symlink(victim, out);
  const error = await writeSbomTree(out, sboms(1)).then(() => undefined, (e: unknown) => e);
  assert.ok(isDropshipError(error), String(error));
  assert.is(error.message, `${out} is a symlink; dropship writes SBOMs only into a real directory`);
  assert.not.ok(error.message.includes('\n'));
  assert.ok(error.hint);
  assert.is(await readlink(out), victim, 'the link is left as it was');
  await assertVictimUntouched();
});

test('DIR a dangling symlink is refused, and where it points is not created', async () => {
  const out = join(base, 'dangling-out');
  const target = join(base, 'would-be-made');
  await symlink(target, out);
  const error = await writeSbomTree(out, sboms(1)).then(() => undefined, (e: unknown) => e);
  assert.ok(isDropshipError(error), String(error));
  assert.is(error.message, `${out} is a symlink; dropship writes SBOMs only into a real directory`);
  assert.is(await lstat(target).then(() => 'there', () => 'absent'), 'absent');
});

test('DIR/launch and DIR/build planted as links are replaced, never followed', async () => {
  const out = join(base, 'planted-out');
  await mkdir(out);
  await symlink(victim, join(out, 'launch'));
  await symlink(join(victim, 'keep'), join(out, 'build'));
  await writeSbomTree(out, sboms(1));
  assert.ok((await lstat(join(out, 'launch'))).isDirectory());
  assert.is(await readFile(join(out, 'build', 'evil_a', 'l0', 'sbom.cdx.json'), 'utf8'), '{"layer":0}\n');
  await assertVictimUntouched();
});

test('another local user who can write DIR swaps DIR/launch and DIR/build for links to a host directory while root writes: root never writes there', async () => {
  const out = join(base, 'raced-out');
  await mkdir(out, { mode: 0o755 });
  let user: LocalUser | undefined;
  try {
    user = await createLocalUser();
    await chown(out, user.uid, user.gid);
    // As soon as a real launch/ or build/ is there, move it aside and put a link to the victim in its place.
    const attack = [
      'cd "$1" || exit 1', 'n=0',
      'while [ ! -e stop ]; do',
      '  for k in launch build; do',
      '    if [ -d "$k" ] && [ ! -L "$k" ] && mv "$k" "old-$n" 2>/dev/null; then ln -s "$2" "$k"; n=$((n+1)); fi',
      '  done',
      'done',
      'echo "swapped $n"',
    ].join('\n');
    const attacker = user.run('/usr/bin/timeout', ['120', '/bin/sh', '-c', attack, 'sh', out, victim]);
    const errors: unknown[] = [];
    try {
      for (let round = 0; round < 6; round++) await writeSbomTree(out, sboms(150)).catch((e: unknown) => errors.push(e));
    } finally {
      await writeFile(join(out, 'stop'), '');
    }
    const ran = await attacker;
    assert.match(ran.output, /swapped [1-9]/, `the attacker never got to swap: ${ran.output}`);
    await assertVictimUntouched();
    for (const error of errors) {
      // Losing the race to the attacker is allowed: as one line naming what changed, never a write through a link.
      assert.ok(isDropshipError(error), String(error));
      assert.not.ok(error.message.includes('\n') || error.message.includes('/proc/'), error.message);
    }
  } finally {
    await writeFile(join(out, 'stop'), '').catch(() => undefined);
    await user?.remove();
  }
});

test.run();
