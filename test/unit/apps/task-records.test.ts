import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { beginTaskRecord, listTasks, readTaskLog } from '../../../src/apps/task-records.js';
import { appPaths, ensureAppDir } from '../../../src/apps/state.js';
import { DropshipError } from '../../../src/errors.js';

let home = '';
const saved = process.env.DROPSHIP_HOME;

test.before.each(async () => {
  home = await mkdtemp(join(tmpdir(), 'dropship-tasks-unit-'));
  process.env.DROPSHIP_HOME = home;
  await ensureAppDir('shop');
});

test.after.each(async () => {
  await rm(home, { recursive: true, force: true });
  if (saved === undefined) delete process.env.DROPSHIP_HOME;
  else process.env.DROPSHIP_HOME = saved;
});

test('a task is RUNNING, then SUCCEEDED or FAILED with its exit code and duration; numbered in order', async () => {
  const one = await beginTaskRecord('shop', 'rake db:migrate', 'migrate');
  assert.equal((await listTasks('shop')).map((t) => [t.id, t.name, t.state]), [[1, 'migrate', 'RUNNING']]);
  const done = await one.finish({ exitCode: 0 });
  assert.is(done.state, 'SUCCEEDED');
  assert.is(done.exitCode, 0);
  assert.ok(done.durationMs !== undefined && done.durationMs >= 0);
  const two = await beginTaskRecord('shop', 'false');
  assert.match(two.record.name, /^[0-9a-f]{8}$/);
  await two.finish({ exitCode: 3, message: 'boom' });
  assert.equal((await listTasks('shop')).map((t) => [t.id, t.state, t.exitCode]), [[1, 'SUCCEEDED', 0], [2, 'FAILED', 3]]);
});

test('log lines are tagged [APP/TASK/NAME/0], split across chunks, with OUT/ERR; files are 0600', async () => {
  const task = await beginTaskRecord('shop', 'echo', 'greet');
  task.log('OUT', Buffer.from('hel'));
  task.log('OUT', Buffer.from('lo\nwor'));
  task.log('ERR', Buffer.from('oops\n'));
  task.log('OUT', Buffer.from('ld'));
  await task.finish({ exitCode: 0 });
  const lines = (await readTaskLog('shop', 'greet')).trim().split('\n').map((l) => l.replace(/^\S+ /, ''));
  assert.equal(lines, ['[shop/TASK/greet/0] OUT hello', '[shop/TASK/greet/0] ERR oops', '[shop/TASK/greet/0] OUT world']);
  for (const file of ['1.json', '1.log']) assert.is((await stat(join(appPaths('shop').dir, 'tasks', file))).mode & 0o777, 0o600, file);
  assert.is((await stat(join(appPaths('shop').dir, 'tasks'))).mode & 0o777, 0o700);
});

test('a RUNNING record whose waiting process is gone reads as FAILED', async () => {
  const task = await beginTaskRecord('shop', 'sleep 100', 'orphan');
  const file = join(appPaths('shop').dir, 'tasks', '1.json');
  // A pid far above pid_max is never alive.
  await writeFile(file, JSON.stringify({ ...task.record, pid: 2 ** 30 }));
  const [listed] = await listTasks('shop');
  assert.is(listed!.state, 'FAILED');
  assert.match(listed!.message ?? '', 'killed');
  await task.finish({ exitCode: 0 });
  assert.is(JSON.parse(await readFile(file, 'utf8')).state, 'SUCCEEDED');
});

test('bad task names and unknown tasks are refused', async () => {
  for (const bad of ['../x', '', 'a b', '-x']) {
    const error = await beginTaskRecord('shop', 'x', bad).then(() => undefined, (e: unknown) => e);
    assert.instance(error, DropshipError, bad);
  }
  const missing = await readTaskLog('shop', 'none').then(() => undefined, (e: DropshipError) => e);
  assert.is(missing?.code, 'TASK_NOT_FOUND');
});

test.run();
