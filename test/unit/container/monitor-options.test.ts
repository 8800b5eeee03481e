import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conmonArgs } from '../../../src/container/conmon.js';
import { normalizeContainerOptions } from '../../../src/container/options.js';
import { readRecord, RECORD_FILE, writeRecord } from '../../../src/container/record.js';
import { DropshipError } from '../../../src/errors.js';

const minimal = { lowerDirs: ['/layers/stack'], args: ['true'] };
const monitor = { logPath: '/store/logs/web-0.log', exitDir: '/store/exits' };

function refused(options: Parameters<typeof normalizeContainerOptions>[0], option: string): void {
  try {
    normalizeContainerOptions(options);
    assert.unreachable(`accepted ${option}`);
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as DropshipError).code, 'INVALID_CONTAINER_OPTION');
    assert.match((error as DropshipError).message, `container option ${option}:`);
    assert.ok((error as DropshipError).hint);
  }
}

test('monitor: defaults the log cap; absent means a foreground container', () => {
  assert.equal(normalizeContainerOptions({ ...minimal, monitor }).monitor, { ...monitor, logSizeMax: 8 * 1024 * 1024 });
  assert.is(normalizeContainerOptions(minimal).monitor, undefined);
});

test('monitor: relative paths, a tiny cap, crun, stdin and output callbacks are refused by name', () => {
  refused({ ...minimal, monitor: { ...monitor, logPath: 'web.log' } }, 'monitor.logPath');
  refused({ ...minimal, monitor: { ...monitor, exitDir: 'exits' } }, 'monitor.exitDir');
  refused({ ...minimal, monitor: { ...monitor, logSizeMax: 100 } }, 'monitor.logSizeMax');
  refused({ ...minimal, monitor, runtime: 'crun' }, 'runtime');
  refused({ ...minimal, monitor, stdin: 'inherit' }, 'stdin');
  refused({ ...minimal, monitor, onStdout: () => undefined }, 'onStdout/onStderr');
});

test('conmon is told the API version, ids, runtime, files, the log cap and to keep its socket in the bundle', () => {
  const args = conmonArgs({ id: 'c1', bundle: '/b', runtimePath: '/usr/sbin/runc', initPidFile: '/b/init.pid', conmonPidFile: '/b/conmon.pid', logPath: '/l/c1.log', logSizeMax: 4096, exitDir: '/e' });
  const flag = (name: string) => args[args.indexOf(name) + 1];
  assert.is(flag('--api-version'), '1');
  assert.is(flag('--cid'), 'c1');
  assert.is(flag('--runtime'), '/usr/sbin/runc');
  assert.is(flag('--log-path'), 'k8s-file:/l/c1.log');
  assert.is(flag('--log-size-max'), '4096');
  assert.is(flag('--exit-dir'), '/e');
  assert.ok(args.includes('--full-attach'));
});

test('the record: written 0600 without callbacks, read back as the same options', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'record-'));
  try {
    const options = normalizeContainerOptions({ ...minimal, id: 'c1', monitor, env: { SECRET: 's' }, labels: { app: 'web' }, onStdout: undefined });
    await writeRecord(dir, options);
    assert.is((await stat(join(dir, RECORD_FILE))).mode & 0o777, 0o600);
    const back = await readRecord(dir, 'c1');
    assert.equal(back, { ...options, onStdout: undefined, onStderr: undefined });
    assert.is(await readRecord(join(dir, 'none'), 'c1'), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a garbage or foreign record is a clear error naming the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'record-'));
  const path = join(dir, RECORD_FILE);
  try {
    const cases: [string, RegExp][] = [
      ['{"version":1,"opt', /is not JSON/],
      ['[]', /is not a version 1 container record/],
      [JSON.stringify({ version: 1, options: { ...normalizeContainerOptions({ ...minimal, id: 'other', monitor }) } }), /names container "other", not c1/],
      [JSON.stringify({ version: 1, options: { ...normalizeContainerOptions({ ...minimal, id: 'c1' }) } }), /has no monitor settings/],
      [JSON.stringify({ version: 1, options: { ...normalizeContainerOptions({ ...minimal, id: 'c1', monitor }), lowerDirs: 'x' } }), /c1|lowerDirs/],
    ];
    for (const [text, why] of cases) {
      await writeFile(path, text);
      try {
        await readRecord(dir, 'c1');
        assert.unreachable(`accepted ${text.slice(0, 40)}`);
      } catch (error) {
        assert.instance(error, DropshipError);
        assert.is((error as DropshipError).code, 'CONTAINER_RECORD_INVALID');
        assert.match((error as DropshipError).message, `${path}: `);
        assert.match((error as DropshipError).message, why);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
