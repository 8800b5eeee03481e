// The store's own disk (where a staging's work dir goes) can fill up as well as the staging disk.
// That is not the staging disk's limit: raising --disk would not help, and the message must say
// which disk is full. Failed on the code before this change: any ENOSPC became STAGING_DISK_FULL
// with the hint to raise the staging disk limit.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { stage } from '../../../src/staging/index.js';
import { rejects } from '../../helpers/assert.js';

let home = '';
let appDir = '';
// The shared store the other suites run in, put back afterwards: they run in this same process.
let shared: string | undefined;
test.before(async () => {
  shared = process.env.DROPSHIP_HOME;
  home = await mkdtemp('/var/tmp/dropship-store-full-');
  // A private store on a 1 MiB tmpfs, filled up: the host's other disks are untouched.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'dropship-test-full', home]);
  process.env.DROPSHIP_HOME = home;
  appDir = await mkdtemp('/var/tmp/dropship-store-full-app-');
  await writeFile(join(appDir, 'Procfile'), 'web: sleep 1\n');
  await mkdir(join(home, 'tmp'), { recursive: true });
  await writeFile(join(home, 'filler'), Buffer.alloc(2 * 1024 * 1024)).catch(() => undefined);
});
test.after(async () => {
  if (shared === undefined) delete process.env.DROPSHIP_HOME;
  else process.env.DROPSHIP_HOME = shared;
  execFileSync('umount', [home]);
  await rm(home, { recursive: true, force: true });
  await rm(appDir, { recursive: true, force: true });
});

test("a full store disk is named as such, not as the staging disk's limit; no work dir is left", async () => {
  const error = (await rejects(() => stage({ appDir, name: 'full', home, dropletPath: join(appDir, 'droplet.tgz'), stack: 'tiny' }), /No space left/)) as DropshipError;
  assert.instance(error, DropshipError);
  assert.is.not(error.code, 'STAGING_DISK_FULL', error.message);
  assert.ok(error.message.includes(home), `the message names the store: ${error.message}`);
  assert.not.match(error.hint ?? '', /--disk/);
  assert.equal((await readdir(join(home, 'tmp'))).filter((name) => name.startsWith('staging-')), []);
  // A lock file left without its owner's pid would hold every later staging of the app until its timeout.
  assert.equal(await readdir(join(home, 'locks')).catch(() => []), [], 'no lock file left');
});

test.run();
