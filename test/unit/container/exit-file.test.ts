import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseExitStatus, readExitFile } from '../../../src/container/exit-file.js';

test('exit codes, and 128+n as the signal that killed the init', () => {
  assert.equal(parseExitStatus('0', '/x/id'), { exitCode: 0, oomKilled: false, timedOut: false });
  assert.equal(parseExitStatus('7\n', '/x/id'), { exitCode: 7, oomKilled: false, timedOut: false });
  assert.equal(parseExitStatus('143', '/x/id'), { exitCode: 143, signal: 'SIGTERM', oomKilled: false, timedOut: false });
  assert.equal(parseExitStatus('137', '/x/id'), { exitCode: 137, signal: 'SIGKILL', oomKilled: false, timedOut: false });
  assert.equal(parseExitStatus('128', '/x/id'), { exitCode: 128, oomKilled: false, timedOut: false });
});

test('garbage, half a file, out of range: exited with an unknown status, the error names the file', () => {
  for (const bad of ['', 'garbage', '1 2', '256', '-2', '0x10', '99999999999', '\u0000\u0000']) {
    const info = parseExitStatus(bad, '/run/exits/dropship-1');
    assert.is(info.exitCode, -1, JSON.stringify(bad));
    assert.is(info.statusError?.code, 'EXIT_FILE_INVALID');
    assert.match(info.statusError!.message, 'exit file /run/exits/dropship-1: ');
    assert.ok(info.statusError!.hint);
  }
});

test("conmon's own -1 (it did not learn the status) is unknown, said so", () => {
  const info = parseExitStatus('-1', '/run/exits/a');
  assert.is(info.exitCode, -1);
  assert.is(info.statusError?.code, 'EXIT_STATUS_UNKNOWN');
});

test('readExitFile: none yet is undefined; a huge garbage file is read only in part', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'exit-file-'));
  try {
    assert.is(await readExitFile(join(dir, 'none')), undefined);
    await writeFile(join(dir, 'big'), '1'.repeat(10 * 1024 * 1024));
    assert.is((await readExitFile(join(dir, 'big')))?.statusError?.code, 'EXIT_FILE_INVALID');
    await writeFile(join(dir, 'ok'), '3');
    assert.is((await readExitFile(join(dir, 'ok')))?.exitCode, 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
