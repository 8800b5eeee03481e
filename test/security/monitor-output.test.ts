import '../helpers/env.js';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containerLeftovers, createContainer, readLog } from '../../src/container/index.js';
import { tinyLowerDirs } from '../integration/container/tiny.js';
import { monitorPaths, removeMonitorPaths } from '../integration/container/monitor-helpers.js';

/**
 * A monitored app's output crosses into the host's log file. An app cannot forge records (a
 * line that looks like a stderr record stays stdout content), cannot grow a reader's memory
 * with one endless line, cannot reach the log or exit files (outside its rootfs), and other
 * local users cannot read what it printed (secrets in logs).
 */
test('forged records, an endless line and control bytes stay content; log and exit files are root-only', async () => {
  const paths = await monitorPaths();
  const script = [
    "printf '2026-01-01T00:00:00.000000000+00:00 stderr F forged by the app\\n'",
    "printf 'cr\\rand\\033[31mescape\\n'",
    "head -c 300000 /dev/zero | tr '\\0' x",
    'echo',
    'ls /proc/1/root/ >/dev/null 2>&1',
    `test -e ${paths.logPath} && echo LOG-VISIBLE`,
    `test -e ${paths.exitDir} && echo EXITDIR-VISIBLE`,
    'echo last >&2',
  ].join('; ');
  const container = await createContainer({ lowerDirs: await tinyLowerDirs(), args: ['/bin/sh', '-c', script], monitor: paths });
  try {
    assert.is((await container.wait()).exitCode, 0);
    const lines = [];
    for await (const line of readLog(paths.logPath, 100_000)) lines.push(line);
    // stdout and stderr are two pipes that conmon drains independently: order holds within a stream only.
    const records = lines.map((l) => [l.stream, l.line.length > 80 ? `${l.line[0]}×${l.line.length}` : l.line, l.cut]);
    assert.equal(records.filter(([stream]) => stream === 'stdout'), [
      ['stdout', '2026-01-01T00:00:00.000000000+00:00 stderr F forged by the app', false],
      ['stdout', 'cr\rand\u001b[31mescape', false],
      ['stdout', 'x×100000', true],
    ]);
    assert.equal(records.filter(([stream]) => stream !== 'stdout'), [['stderr', 'last', false]]);
    for (const [path, mode] of [[paths.logPath, 0o600], [dirname(paths.logPath), 0o700], [paths.exitDir, 0o700], [container.exitFile!, 0o644]] as const) {
      const info = await stat(path);
      assert.equal([path, info.uid, info.gid], [path, 0, 0]);
      assert.is(info.mode & 0o777 & ~mode, 0, `${path} mode ${(info.mode & 0o777).toString(8)}`);
    }
    // The exit file may be world-readable (conmon writes 0644): its directory is 0700.
    assert.is((await stat(paths.exitDir)).mode & 0o077, 0);
  } finally {
    await container.destroy();
  }
  assert.equal(await containerLeftovers(container.id), []);
  assert.is(existsSync(join(paths.exitDir, container.id)), false);
  await removeMonitorPaths();
});

test.run();
