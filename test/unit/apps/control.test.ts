import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callControl, serveControl } from '../../../src/apps/control.js';
import { DropshipError } from '../../../src/errors.js';

test('one request, one answer over a 0600 unix socket; errors keep their code and hint', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-control-'));
  const path = join(dir, 'control.sock');
  const server = await serveControl(path, async (request) => {
    if (request.op === 'status') return { instances: [] };
    throw new DropshipError('NOPE', 'cannot do that', { hint: 'do something else' });
  });
  try {
    assert.is((await stat(path)).mode & 0o777, 0o600);
    assert.equal(await callControl(path, { op: 'status' }), { instances: [] });
    try {
      await callControl(path, { op: 'stop' });
      assert.unreachable();
    } catch (error) {
      assert.instance(error, DropshipError);
      assert.is((error as DropshipError).code, 'NOPE');
      assert.is((error as DropshipError).hint, 'do something else');
    }
  } finally {
    await new Promise((r) => server.close(r));
  }
  try {
    await callControl(path, { op: 'status' });
    assert.unreachable();
  } catch (error) {
    assert.is((error as DropshipError).code, 'SUPERVISOR_UNREACHABLE');
  }
  await rm(dir, { recursive: true, force: true });
});

test('an error keeps its exit code across the socket; the handler hears when the asker hangs up', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-control-'));
  const path = join(dir, 'control.sock');
  let heard: Promise<boolean> | undefined;
  const server = await serveControl(path, async (request, { hungUp }) => {
    if (request.op === 'stop') throw new DropshipError('CANCELLED', 'cancelled', { exitCode: 130 });
    heard = new Promise((resolve) => hungUp.addEventListener('abort', () => resolve(true), { once: true }));
    return new Promise(() => undefined);
  });
  try {
    const error = await callControl(path, { op: 'stop' }).catch((e: unknown) => e);
    assert.is((error as DropshipError).exitCode, 130, 'not the default 1');
    const asker = new AbortController();
    const waiting = callControl(path, { op: 'status' }, 30_000, asker.signal).catch((e: unknown) => e);
    for (let i = 0; i < 200 && !heard; i++) await new Promise((r) => setTimeout(r, 5));
    assert.not.ok(await Promise.race([heard, new Promise((r) => setTimeout(() => r(false), 50))]), 'not before the hang-up');
    asker.abort();
    assert.is(((await waiting) as DropshipError).code, 'CANCELLED');
    assert.ok(await heard, 'the handler is told');
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
