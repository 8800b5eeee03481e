import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { homePaths } from '../../../src/home.js';
import { gcOrphans, workDirPrefix } from '../../../src/staging/orphans.js';
import { currentOwner, formatOwner } from '../../../src/util/owner.js';

// A staging killed right after it made its work dir has written nothing into it: the dir's name
// alone must say whose it is, or gc can never tell it from a live staging's and it stays forever.
test('gc removes an empty work dir whose owner (in its name) is gone, and keeps a live owner\'s', async () => {
  const home = await mkdtemp('/var/tmp/dropship-orphan-dirs-');
  try {
    const tmp = homePaths(home).tmp;
    await mkdir(tmp, { recursive: true });
    const live = formatOwner(await currentOwner());
    // pid 1's start time is never this: a pid reused by another process is not the owner.
    const gone = `1:${Number((await currentOwner()).start) + 12345}`;
    const dead = await mkdtemp(join(tmp, workDirPrefix('my-app-1.2', gone)));
    const alive = await mkdtemp(join(tmp, workDirPrefix('my-app-1.2', live)));

    const report = await gcOrphans({ home });
    assert.equal(report.workDirs, [dead]);
    assert.equal((await readdir(tmp)).sort(), [alive.slice(tmp.length + 1)]);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

// Work dirs of dropship before owner-named dirs were `staging-NAME-XXXXXX` with an owner file; an app
// name may end in digits.digits (`web-1.5`), which reads as an owner (pid 1) that is never alive.
test('gc keeps an older live staging\'s work dir whose app name looks like an owner: its owner file says whose it is', async () => {
  const home = await mkdtemp('/var/tmp/dropship-orphan-dirs-');
  try {
    const tmp = homePaths(home).tmp;
    await mkdir(tmp, { recursive: true });
    const old = await mkdtemp(join(tmp, 'staging-web-1.5-'));
    await writeFile(join(old, 'owner'), formatOwner(await currentOwner()));
    const report = await gcOrphans({ home });
    assert.equal(report.workDirs, []);
    assert.equal(await readdir(tmp), [old.slice(tmp.length + 1)]);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test.run();
