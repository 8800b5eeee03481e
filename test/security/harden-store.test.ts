import '../helpers/env.js';
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createContainer, containerLeftovers, type Container } from '../../src/container/index.js';
import { homePaths } from '../../src/home.js';
import { defaultIdMap, hostGid, hostUid } from '../../src/security/idmap.js';
import { euidProbeElf } from '../integration/container/syscall-probe.js';
import { tinyLowerDirs } from '../integration/container/tiny.js';
import { isRoot, TEST_HOME, uniqueName } from '../helpers/env.js';
import { createLocalUser, type LocalUser } from './local-user.js';

const ESCALATED = 77;
const MODE = (n: number) => (n & 0o7777).toString(8);

const idMap = defaultIdMap();
const rootUid = hostUid(idMap, 0);
const rootGid = hostGid(idMap, 0);

async function inContainer(c: Container, script: string): Promise<string> {
  let out = '';
  const exit = await c.exec(['/bin/sh', '-c', script], { user: 'root', onStdout: (b) => (out += b), onStderr: (b) => (out += b) });
  assert.is(exit.exitCode, 0, `in the container: ${script}: ${out}`);
  return out;
}

function mountOptions(mounts: string, target: string): string[] {
  const line = mounts.split('\n').find((l) => l.split(' ')[1] === target);
  return line ? line.split(' ')[3]!.split(',') : [];
}

test('a local user cannot use a setuid file of a container, nor read the store', async () => {
  if (!isRoot) return console.log('  (skipped: needs root to create a local user and run containers)');
  const paths = homePaths(TEST_HOME);
  const lowerDirs = await tinyLowerDirs();
  // An image layer that brought a setuid-root file (root = the container's mapped root), as an
  // unpacked layer beside the real ones.
  const layer = join(paths.unpacked, uniqueName('harden-suid-layer'));
  await mkdir(layer, { mode: 0o755 });
  const probe = euidProbeElf(rootUid);
  await writeFile(join(layer, 'suid-layer'), probe);
  await chown(join(layer, 'suid-layer'), rootUid, rootGid);
  await chmod(join(layer, 'suid-layer'), 0o4755);
  await chown(layer, rootUid, rootGid);
  // A control on a filesystem that honours setuid: the probe must report an escalation there,
  // or the test could not fail.
  const control = await mkdtemp('/var/tmp/dropship-harden-control-');
  await chmod(control, 0o755);
  await writeFile(join(control, 'suid'), probe);
  await chown(join(control, 'suid'), rootUid, rootGid);
  await chmod(join(control, 'suid'), 0o4755);
  const probesDir = await mkdtemp('/var/tmp/dropship-harden-probe-');
  await chmod(probesDir, 0o755);
  await writeFile(join(probesDir, 'euid'), probe, { mode: 0o755 });

  let user: LocalUser | undefined;
  const containers: Container[] = [];
  try {
    user = await createLocalUser();
    const controlRun = await user.run(join(control, 'suid'));
    assert.is(controlRun.exitCode, ESCALATED, `control: a setuid file outside the store gives the container's uid (${controlRun.output})`);

    for (const diskBytes of [undefined, 64 * 1024 * 1024]) {
      const c = await createContainer({
        lowerDirs: [...lowerDirs, layer],
        args: ['/bin/sleep', '60'],
        user: 'root',
        mounts: [{ source: probesDir, destination: '/probe', readonly: true }],
        ...(diskBytes ? { limits: { diskBytes } } : {}),
      });
      containers.push(c);
      // What a container can always do: make a setuid-root file of its own, and hold app code.
      await inContainer(c, 'cp /probe/euid /suid && chmod 4755 /suid && mkdir -p /home/vcap/app && echo secret > /home/vcap/app/server.js && chmod 644 /home/vcap/app/server.js');
      const rootfs = join(c.bundle, 'rootfs');
      const upper = join(diskBytes ? join(c.bundle, 'disk') : c.bundle, 'upper');
      const suid = await stat(join(upper, 'suid'));
      assert.is(suid.uid, rootUid, 'the setuid file in the upper dir is owned by the container root');
      assert.is(suid.mode & 0o4000, 0o4000, 'and keeps its setuid bit');

      const mounts = await readFile('/proc/self/mounts', 'utf8');
      for (const option of ['nosuid', 'nodev']) {
        assert.ok(mountOptions(mounts, rootfs).includes(option), `rootfs overlay mount has ${option}: ${mountOptions(mounts, rootfs)}`);
        if (diskBytes) assert.ok(mountOptions(mounts, join(c.bundle, 'disk')).includes(option), `quota disk mount has ${option}`);
      }

      for (const path of [join(rootfs, 'suid'), join(rootfs, 'suid-layer'), join(upper, 'suid'), join(layer, 'suid-layer')]) {
        const attempt = await user.run(path);
        assert.is.not(attempt.exitCode, ESCALATED, `${path} ran with the container's host uid`);
        assert.match(attempt.output, /Permission denied/, `${path}: refused (${attempt.exitCode}: ${attempt.output})`);
      }
      for (const path of [join(rootfs, 'home/vcap/app/server.js'), join(rootfs, 'etc/passwd')]) {
        const read = await user.run('/bin/cat', [path]);
        assert.is.not(read.exitCode, 0, `${path} must not be readable`);
        assert.match(read.output, /Permission denied/);
      }
      const bundle = await stat(c.bundle);
      assert.is(MODE(bundle.mode), '710', 'bundle mode');
      assert.is(bundle.gid, rootGid, 'bundle group is the mapped root');
    }

    for (const dir of [paths.root, paths.containers, paths.unpacked, paths.oci, paths.apps, paths.network, paths.cache, paths.tmp, paths.buildpacks, paths.stacks]) {
      const listed = await user.run('/bin/ls', [dir]);
      assert.is.not(listed.exitCode, 0, `${dir} must not be listable (${listed.output})`);
      assert.match(listed.output, /Permission denied/, dir);
    }
    assert.is(MODE((await stat(paths.root)).mode), '711');
    assert.is(MODE((await stat(paths.containers)).mode), '711');
    for (const dir of [paths.unpacked, paths.oci, paths.apps, paths.network, paths.cache, paths.tmp, paths.buildpacks, paths.stacks, paths.locks]) {
      assert.is(MODE((await stat(dir)).mode), '700', dir);
    }
    const leases = join(paths.network, 'leases.json');
    const leaseInfo = await lstat(leases).catch(() => undefined);
    if (leaseInfo) {
      const read = await user.run('/bin/cat', [leases]);
      assert.match(read.output, /Permission denied/, 'leases.json is not readable');
    }
  } finally {
    for (const c of containers) {
      await c.destroy();
      assert.equal(await containerLeftovers(c.id), []);
    }
    await user?.remove();
    await Promise.all([layer, control, probesDir].map((dir) => rm(dir, { recursive: true, force: true })));
  }
});

test.run();
