import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogLine } from '../../../src/container/index.js';
import { LogTail } from '../../../src/daemon/log-tail.js';

const T = '2026-12-01T10:00:00.123456789+00:00';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-tail-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('whole records only; partial (P) records joined; a record still being written waits', () =>
  withDir(async (dir) => {
    const path = join(dir, 'c.log');
    const lines: LogLine[] = [];
    await writeFile(path, `${T} stdout F one\n${T} stderr P tw\n${T} stderr F o\n${T} stdout F thr`);
    const tail = new LogTail(path, (l) => lines.push(l), (e) => assert.unreachable(e.message));
    await tail.start({ resume: false, follow: false });
    assert.equal(lines.map((l) => [l.stream, l.line]), [['stdout', 'one'], ['stderr', 'two']]);
    await appendFile(path, 'ee\n');
    await tail.drain();
    assert.equal(lines.map((l) => l.line), ['one', 'two', 'three']);
    await tail.stop(true);
  }));

test('a new tail resumes at the saved offset: nothing lost, nothing repeated', () =>
  withDir(async (dir) => {
    const path = join(dir, 'c.log');
    await writeFile(path, `${T} stdout F one\n${T} stdout F two\n`);
    const first: string[] = [];
    const a = new LogTail(path, (l) => first.push(l.line), (e) => assert.unreachable(e.message));
    await a.start({ resume: false, follow: false });
    await a.stop(false);
    assert.is(await readFile(`${path}.offset`, 'utf8'), String(Buffer.byteLength(`${T} stdout F one\n${T} stdout F two\n`)));
    await appendFile(path, `${T} stdout F three\n`);
    const second: string[] = [];
    const b = new LogTail(path, (l) => second.push(l.line), (e) => assert.unreachable(e.message));
    await b.start({ resume: true, follow: false });
    await b.stop(true);
    assert.equal(first, ['one', 'two']);
    assert.equal(second, ['three']);
    await b.remove();
  }));

test('a file shorter than the offset (conmon started it afresh) is read from its start', () =>
  withDir(async (dir) => {
    const path = join(dir, 'c.log');
    await writeFile(path, `${T} stdout F after rotation\n`);
    await writeFile(`${path}.offset`, '100000');
    const lines: string[] = [];
    const tail = new LogTail(path, (l) => lines.push(l.line), (e) => assert.unreachable(e.message));
    await tail.start({ resume: true, follow: false });
    await tail.stop(true);
    assert.equal(lines, ['after rotation']);
  }));

test('a garbage record is reported and skipped; the lines around it still come', () =>
  withDir(async (dir) => {
    const path = join(dir, 'c.log');
    await writeFile(path, `${T} stdout F before\nthis is not a record\n${T} stdout F after\n`);
    const lines: string[] = [];
    const errors: string[] = [];
    const tail = new LogTail(path, (l) => lines.push(l.line), (e) => errors.push(e.message));
    await tail.start({ resume: false, follow: false });
    await tail.stop(true);
    assert.equal(lines, ['before', 'after']);
    assert.is(errors.length, 1);
    assert.match(errors[0]!, /not a k8s-file record/);
  }));

test('an unterminated last line is flushed when the container has exited', () =>
  withDir(async (dir) => {
    const path = join(dir, 'c.log');
    await writeFile(path, `${T} stdout P no newline at the end\n`);
    const lines: string[] = [];
    const tail = new LogTail(path, (l) => lines.push(l.line), (e) => assert.unreachable(e.message));
    await tail.start({ resume: false, follow: false });
    assert.equal(lines, []);
    await tail.stop(true);
    assert.equal(lines, ['no newline at the end']);
  }));

test('no file yet: no lines, no error', () =>
  withDir(async (dir) => {
    const tail = new LogTail(join(dir, 'missing.log'), () => assert.unreachable('a line'), (e) => assert.unreachable(e.message));
    await tail.start({ resume: true, follow: false });
    await tail.stop(true);
  }));

test.run();
