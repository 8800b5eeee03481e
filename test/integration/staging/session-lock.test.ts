// The app's staging lock keeps a second staging of the same app off its staging disk: it must be
// held until the disk is unmounted. Failed on the code before this change: the session unmounted
// the disk after withLock returned, so a staging waiting for the lock could mount the same ext4
// image a second time while the first still had it mounted. And a Ctrl-C while waiting for the
// lock must cancel: the wait did not heed it, then took the lock and ran the staging anyway.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { homePaths } from '../../../src/home.js';
import { isMounted } from '../../../src/container/index.js';
import { normalizeStagingOptions, withStagingSession } from '../../../src/staging/index.js';
import { openStagingDisk } from '../../../src/staging/disk.js';
import { withLock } from '../../../src/util/lock.js';
import { TEST_HOME, uniqueName } from '../../helpers/env.js';

let appDir = '';
test.before(async () => {
  process.env.DROPSHIP_HOME = TEST_HOME;
  appDir = await mkdtemp('/var/tmp/dropship-session-lock-');
});
test.after(async () => {
  await rm(appDir, { recursive: true, force: true });
});

for (const outcome of ['returns', 'throws'] as const) {
  test(`a staging that ${outcome} keeps the app's lock until its staging disk is unmounted`, async () => {
    const name = uniqueName('lockdisk');
    const opts = normalizeStagingOptions({ appDir, name, network: false, disk: '64M' });
    const paths = homePaths(opts.home);
    const seen: Array<{ mounted: boolean; lockFree: boolean }> = [];
    let diskDir = '';
    const run = withStagingSession(opts, async (session) => {
      diskDir = session.diskDir;
      session.closeLast(await openStagingDisk(join(paths.cache, name), session.diskDir, opts.diskBytes, () => undefined));
      // Closed first (resources close in reverse): what a second staging waiting for the lock would find.
      session.closeLast({
        close: async () => {
          const mounted = await isMounted(session.diskDir);
          const lockFree = await withLock(join(paths.locks, `staging-cache-${name}.lock`), async () => true, { timeoutMs: 1 }).catch(() => false);
          seen.push({ mounted, lockFree });
        },
      });
      if (outcome === 'throws') throw new DropshipError('TEST_FAILURE', 'a buildpack failed', { hint: 'none' });
    });
    if (outcome === 'throws') await run.then(() => assert.unreachable(), (error: DropshipError) => assert.is(error.code, 'TEST_FAILURE'));
    else await run;
    assert.equal(seen, [{ mounted: true, lockFree: false }], 'while the disk is mounted, the lock is held');
    assert.not.ok(await isMounted(diskDir), 'the disk is unmounted at the end');
  });
}

test('Ctrl-C while waiting for the app\'s lock (another staging of it runs) cancels at once; nothing is left', async () => {
  const name = uniqueName('lockwait');
  const controller = new AbortController();
  const opts = normalizeStagingOptions({ appDir, name, network: false, timeout: '10m', signal: controller.signal });
  const paths = homePaths(opts.home);
  let release = () => undefined as void;
  const holding = new Promise<void>((resolve) => (release = resolve));
  // The other staging of the same app, holding its lock.
  const other = withLock(join(paths.locks, `staging-cache-${name}.lock`), () => holding, { timeoutMs: 1000 });
  const until = async (ready: () => Promise<boolean>) => {
    while (!(await ready())) await new Promise((resolve) => setImmediate(resolve));
  };
  await until(() => stat(join(paths.locks, `staging-cache-${name}.lock`)).then(() => true, () => false));
  let ran = false;
  const waiting = withStagingSession(opts, async () => {
    ran = true;
  });
  // Its work dir (named for its owner) is made just before it waits for the lock.
  const workDirs = async () => (await readdir(paths.tmp)).filter((entry) => entry.startsWith(`staging-${name}-`));
  await until(async () => (await workDirs()).length > 0);
  controller.abort('SIGINT');
  // The other staging ends right after: a wait that did not heed the abort now takes the lock.
  release();
  await other;
  const outcome = await waiting.then(() => undefined, (error: DropshipError) => error);
  assert.is(outcome?.code, 'STAGING_CANCELLED', String(outcome));
  assert.is(outcome?.exitCode, 130);
  assert.not.ok(ran, 'the staging never started');
  assert.equal(await workDirs(), [], 'its work dir is gone');
});

test.run();
