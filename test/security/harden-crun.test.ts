import '../helpers/env.js';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { runTask } from '../../src/app/task.js';
import { isRoot } from '../helpers/env.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const hasCrun = ['/usr/bin/crun', '/usr/local/bin/crun'].some(existsSync);

interface Owner {
  uid: number;
  gid: number;
  mode: string;
}

async function owner(path: string): Promise<Owner> {
  const info = await stat(path);
  return { uid: info.uid, gid: info.gid, mode: (info.mode & 0o7777).toString(8) };
}

/** node with `fd` as its stdin itself (execa would stream a file through a pipe). */
function withStdinFile(fd: number, args: string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', args, { stdio: [fd, 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b));
    child.stderr!.on('data', (b: Buffer) => (stderr += b));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

const DEV_NULL: Owner = { uid: 0, gid: 0, mode: '666' };

/** Whatever happens, /dev/null is root's and 0666 again afterwards. */
async function restoreDevNull(): Promise<void> {
  const now = await owner('/dev/null');
  if (now.uid !== 0 || now.gid !== 0) await chown('/dev/null', 0, 0);
  if (now.mode !== '666') await chmod('/dev/null', 0o666);
}

test('crun and runc: /dev/null and a task\'s stdin file keep their owner and mode', async () => {
  if (!isRoot) return console.log('  (skipped: needs root)');
  if (!hasCrun) return console.log('  (skipped: crun is not installed; apt-get install crun)');
  const dir = await mkdtemp('/var/tmp/dropship-harden-stdin-');
  const stdinFile = join(dir, 'input.txt');
  try {
    await restoreDevNull();
    // A task run by the library with no stdin: the runtime would be given /dev/null.
    const quiet = await runTask({ stack: 'tiny', runtime: 'crun', args: ['/bin/sh', '-c', 'cat; id -u'], onStdout: () => undefined });
    assert.is(quiet.exitCode, 0);
    assert.equal(await owner('/dev/null'), DEV_NULL, '/dev/null after a crun task without stdin');

    // A task run from the CLI with its stdin redirected from a file, as in `dropship run-task … < input.txt`;
    // owned by an id inside the container's map (which the container's root could chown). runc is
    // checked too: it must keep copying through pipes of its own.
    await writeFile(stdinFile, 'from a file\n', { mode: 0o640 });
    await chown(stdinFile, 1_000_005, 1_000_005);
    const before = await owner(stdinFile);
    for (const runtime of ['crun', 'runc']) {
      const fd = await open(stdinFile, 'r');
      try {
        const result = await withStdinFile(fd.fd, ['--import', 'tsx', MAIN, 'run-task', '--stack', 'tiny', '--runtime', runtime, '--', '/bin/sh', '-c', 'cat; ls -ln /proc/self/fd/0']);
        assert.is(result.exitCode, 0, result.stderr);
        assert.match(result.stdout, /^from a file$/m, `${runtime}: the task read its stdin`);
        assert.match(result.stdout, /-> (pipe|socket):\[/, `${runtime} was given a pipe (a socket pair from node), not the file: ${result.stdout}`);
      } finally {
        await fd.close();
      }
      assert.equal(await owner(stdinFile), before, `${runtime}: the stdin file keeps its owner`);
    }
    assert.equal(await owner('/dev/null'), DEV_NULL, '/dev/null after a crun task with a stdin file');
  } finally {
    await restoreDevNull();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
