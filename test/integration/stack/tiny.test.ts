import { TEST_HOME, uniqueName } from '../../helpers/env.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { homePaths } from '../../../src/home.js';
import { ensureUnpacked, openStore } from '../../../src/oci/index.js';
import { defaultIdMap } from '../../../src/security/idmap.js';
import { buildStack, ensureStack, getStack, knownStacks, listStacks } from '../../../src/stack/index.js';

const shared = homePaths(TEST_HOME);

test('knownStacks lists the recipes shipped in rootfs/', async () => {
  const known = await knownStacks();
  assert.ok(known.includes('tiny'));
  assert.ok(known.includes('bookworm'));
});

test('an unknown stack is an error whose hint lists the known ones', async () => {
  try {
    await ensureStack('no-such-stack', { home: shared });
    assert.unreachable('should fail');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as DropshipError).code, 'UNKNOWN_STACK');
    assert.is((error as DropshipError).message, "unknown stack 'no-such-stack'");
    assert.match((error as DropshipError).hint!, /^known stacks: .*tiny/);
  }
});

test('building tiny twice gives the same diff_id; the second build goes to the metadata, the layer is not rewritten', async () => {
  const home = homePaths(join(TEST_HOME, 'tmp', uniqueName('h2-stack-home')));
  try {
    const first = await buildStack('tiny', { home });
    const second = await buildStack('tiny', { home, force: true });
    assert.is(second.diffId, first.diffId);
    assert.is(second.digest, first.diffId, 'stored uncompressed: digest = diff_id');
    assert.is(second.mediaType, 'application/vnd.oci.image.layer.v1.tar');
    assert.ok(second.builtAt >= first.builtAt);
    assert.equal(second.history, []);
    const again = await buildStack('tiny', { home });
    assert.is(again.builtAt, second.builtAt, 'a build of the current recipe is reused');
    const saved = JSON.parse(await readFile(join(home.stacks, 'tiny.json'), 'utf8'));
    assert.is(saved.diffId, first.diffId);
    assert.equal((await listStacks(home)).map((s) => s.name), ['tiny']);
    assert.ok(await openStore(home).blobs.has(first.digest));
  } finally {
    await rm(home.root, { recursive: true, force: true });
  }
});

test('tiny unpacks with ids shifted into the container range and has what buildpacks need', async () => {
  const info = await ensureStack('tiny', { home: shared });
  assert.equal((await getStack('tiny', shared))?.diffId, info.diffId);
  const root = await ensureUnpacked(info.diffId, defaultIdMap({}), shared);
  assert.is(lstatSync(join(root, 'bin/busybox')).uid, 1_000_000);
  assert.is(lstatSync(join(root, 'bin/bash')).uid, 1_000_000);
  assert.is(lstatSync(join(root, 'home/vcap')).uid, 1_002_000);
  assert.is(lstatSync(join(root, 'home/vcap')).gid, 1_002_000);
  assert.is(lstatSync(join(root, 'tmp')).mode & 0o7777, 0o1777);
  assert.is(readlinkSync(join(root, 'bin/sh')), 'busybox');
  for (const applet of ['wget', 'httpd', 'timeout', 'unshare', 'mount', 'dd']) {
    assert.is(readlinkSync(join(root, 'bin', applet)), 'busybox', applet);
  }
  assert.is(readlinkSync(join(root, 'usr/bin/env')), '../../bin/busybox');
  assert.match(readFileSync(join(root, 'etc/passwd'), 'utf8'), 'vcap:x:2000:2000:');
  assert.match(readFileSync(join(root, 'etc/group'), 'utf8'), 'vcap:x:2000:');
  assert.match(readFileSync(join(root, 'etc/ssl/certs/ca-certificates.crt'), 'utf8'), '-----BEGIN CERTIFICATE-----');
  const out = execFileSync('chroot', [root, '/bin/bash', '-c', 'echo "$BASH_VERSION"; /usr/bin/env true && echo env-ok'], { encoding: 'utf8' });
  assert.match(out, /^5\.\d+.*\nenv-ok\n$/);
});

test('dropship stack ls --json shows tiny built', async () => {
  await ensureStack('tiny', { home: shared });
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url)), 'stack', 'ls', '--json'], {
    encoding: 'utf8',
    env: { ...process.env, DROPSHIP_HOME: TEST_HOME },
  });
  const tiny = (JSON.parse(out) as Array<{ name: string; built: boolean; diffId?: string }>).find((s) => s.name === 'tiny');
  assert.is(tiny?.built, true);
  assert.match(tiny!.diffId!, /^sha256:[a-f0-9]{64}$/);
});

test('dropship stack build prints the diff_id, and names the known stacks for an unknown one', async () => {
  const info = await ensureStack('tiny', { home: shared });
  const cli = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
  const env = { ...process.env, DROPSHIP_HOME: TEST_HOME };
  const out = execFileSync(process.execPath, ['--import', 'tsx', cli, 'stack', 'build', 'tiny'], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(out, `stack tiny: diff_id ${info.diffId}, `);
  const failed = spawnSync(process.execPath, ['--import', 'tsx', cli, 'stack', 'build', 'nope'], { encoding: 'utf8', env });
  assert.is(failed.status, 1);
  assert.is(failed.stderr, "error: unknown stack 'nope'\nhint: known stacks: bookworm, tiny\n");
});

test.run();
