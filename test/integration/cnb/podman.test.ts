import '../../helpers/env.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TEST_HOME } from '../../helpers/env.js';
import { exportImage, inspectImage } from '../../../src/oci/index.js';
import { bp, CNB_APPS, cnbScratch } from './helpers.js';

const s = cnbScratch('podman');
const hasPodman = (await execa('podman', ['--version'], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;
test.after(() => s.cleanup());

test('an image built from CNB buildpacks runs under podman (Debian), default and other process types', async () => {
  if (!hasPodman) {
    console.log('skipped: podman is not installed');
    return;
  }
  await s.build({ appDir: join(CNB_APPS, 'hello'), buildpacks: [bp('provider'), bp('consumer')], tag: s.tag('v1') });
  const dir = await mkdtemp(join(TEST_HOME, 'tmp', 'cnb-podman-'));
  // podman keeps a loaded image under its config digest: removed by that id afterwards.
  const configDigest = (await inspectImage(s.tag('v1'))).configDigest.replace('sha256:', '');
  const archive = join(dir, 'image.tar');
  await exportImage(s.tag('v1'), { ociArchive: archive });
  // This host's hard RLIMIT_NOFILE is below podman's default; runc because crun refuses hybrid cgroups.
  const run = (extra: string[]) => execa('podman', ['run', '--rm', '--runtime', 'runc', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096',
    ...extra, `oci-archive:${archive}`], { reject: false, timeout: 120_000 });
  try {
    const web = await run(['-e', 'PORT=9999']);
    assert.is(web.exitCode, 0, web.stderr);
    assert.ok(web.stdout.includes("hello: GREETING=hi MODE=launch LIST=a,b WEBONLY=yes EVIL=$(touch /tmp/pwned)`id` args=it's two words"), web.stdout);
    assert.ok(web.stdout.includes('PORT=9999 pwd=/workspace uid=2000'), web.stdout);
    const worker = await run(['--entrypoint', '/cnb/process/worker']);
    assert.is(worker.stdout.trim(), 'worker done', worker.stderr);
  } finally {
    const images = await execa('podman', ['images', '--no-trunc', '--format', '{{.ID}}'], { reject: false });
    if (images.stdout.split('\n').some((l) => l.replace('sha256:', '') === configDigest)) await execa('podman', ['rmi', configDigest], { reject: false });
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
