import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
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

test.run();
