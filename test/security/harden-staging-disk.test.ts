import '../helpers/env.js';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { homePaths } from '../../src/home.js';
import { isRoot, TEST_HOME } from '../helpers/env.js';
import { assertNoContainers, inScratch, stageFails } from '../integration/staging/helpers.js';

const MIB = 1024 * 1024;

/**
 * A buildpack that tries to write 300M where $FILL says: the build dir, its cache dir, or the
 * staging container's own root filesystem (its writable layer).
 */
const COMPILE = `#!/bin/sh
case "$FILL" in
  build) target="$1/big" ;;
  cache) target="$2/big" ;;
  upper) target=/home/vcap/big ;;
esac
echo "-----> filling $FILL"
dd if=/dev/zero of="$target" bs=1M count=300 2>&1 || exit 1
echo "wrote it all"
`;

let buildpack = '';
let app = '';

test.before(async () => {
  buildpack = await mkdtemp('/var/tmp/dropship-harden-filler-');
  await chmod(buildpack, 0o755);
  await mkdir(join(buildpack, 'bin'), { mode: 0o755 });
  await writeFile(join(buildpack, 'bin', 'compile'), COMPILE, { mode: 0o755 });
  app = join(buildpack, 'app');
  await mkdir(app, { mode: 0o755 });
  await writeFile(join(app, 'index.txt'), 'hello\n');
});

test.after(async () => {
  await rm(buildpack, { recursive: true, force: true });
});

for (const fill of ['build', 'cache', 'upper']) {
  test(`staging stops at its disk limit when a buildpack fills the ${fill === 'upper' ? "container's writable layer" : `${fill} dir`}`, async () => {
    if (!isRoot) return console.log('  (skipped: needs root for loop mounts and containers)');
    await inScratch(`disk-${fill}`, async ({ out, name }) => {
      const { error } = await stageFails(app, out, name, { buildpacks: [buildpack], env: { FILL: fill }, disk: '100M', network: false });
      assert.match(error.message, `Failed to compile droplet: buildpack '${buildpack.split('/').pop()}' failed in compile: bin/compile exited with code 1: No space left (staging disk limit 100M)`);
      assert.is(error.code, 'STAGING_DISK_FULL');
      assert.is(error.exitCode, 223);
      assert.match(error.hint ?? '', '--disk');
      // From the host: the disk image holds at most its limit, and nothing is still mounted.
      const image = join(homePaths(TEST_HOME).cache, name, 'disk.img');
      const info = await stat(image);
      assert.ok(info.blocks * 512 <= 100 * MIB, `the image uses ${info.blocks * 512} bytes of the host's disk`);
      const mounts = await readFile('/proc/self/mounts', 'utf8');
      assert.not.match(mounts, `staging-${name}-`, 'the staging disk is unmounted');
      assert.equal((await readdir(homePaths(TEST_HOME).tmp)).filter((d) => d.startsWith(`staging-${name}-`)), [], 'no work dir left');
      await assertNoContainers(name);
    });
  });
}

test('a staging disk limit below 64M is refused, naming the flag', async () => {
  await inScratch('disk-small', async ({ out, name }) => {
    const { error } = await stageFails(app, out, name, { buildpacks: [buildpack], disk: '10M', network: false });
    assert.is(error.message, "--disk: '10M' is less than the 64M staging needs");
  });
});

test.run();
