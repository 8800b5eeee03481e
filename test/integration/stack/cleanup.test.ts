import '../../helpers/env.js';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { removeBuildDir } from '../../../src/stack/cleanup.js';
import { skipUnlessRoot } from '../../helpers/assert.js';

test('removeBuildDir unmounts what a killed recipe left mounted before deleting (root)', async () => {
  if (skipUnlessRoot('mounting needs root')) return;
  const dir = await mkdtemp(join(tmpdir(), 'dropship-cleanup-'));
  const mountPoint = join(dir, 'rootfs', 'proc');
  try {
    await mkdir(mountPoint, { recursive: true });
    await writeFile(join(dir, 'rootfs', 'file'), 'x');
    execFileSync('mount', ['-t', 'tmpfs', 'h2-cleanup-test', mountPoint]);
    await writeFile(join(mountPoint, 'inside'), 'y');
    await removeBuildDir(dir);
    assert.not.ok(existsSync(dir));
    assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), dir);
  } finally {
    execFileSync('sh', ['-c', `umount -l '${mountPoint}' 2>/dev/null || true`]);
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
