import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineSplitter, formatLogEntry, appSource, type LogEntry } from '../../../src/daemon/log-line.js';
import { LogWriter, followLogs, readRecentLogs } from '../../../src/daemon/log-store.js';

function entry(message: string, instance = 0): LogEntry {
  return { time: '2026-11-28T12:00:00.000Z', source: appSource('web'), instance, stream: 'out', message };
}

test('log lines are timestamped and tagged', () => {
  assert.is(formatLogEntry(entry('hello')), '2026-11-28T12:00:00.000Z [APP/PROC/WEB/0] OUT hello');
  assert.is(
    formatLogEntry({ ...entry('Container became healthy', 3), source: 'HEALTH' }),
    '2026-11-28T12:00:00.000Z [HEALTH/3] OUT Container became healthy',
  );
  assert.is(formatLogEntry({ ...entry('boom'), source: 'CELL', stream: 'err' }), '2026-11-28T12:00:00.000Z [CELL/0] ERR boom');
});

test('output is split at newlines across chunks; CRLF and a last unterminated line handled', () => {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  splitter.push(Buffer.from('one\ntw'));
  splitter.push(Buffer.from('o\r\nthree\n\nfour'));
  assert.equal(lines, ['one', 'two', 'three', '']);
  splitter.flush();
  assert.equal(lines, ['one', 'two', 'three', '', 'four']);
});

test('very long lines are cut and marked, the next line is intact', () => {
  const lines: Array<[string, boolean]> = [];
  const splitter = new LineSplitter((line, cut) => lines.push([line, cut]), 10);
  splitter.push(Buffer.from('abcdefgh'));
  splitter.push(Buffer.from('ijklmnop\nnext\n'));
  assert.equal(lines, [['abcdefghij', true], ['next', false]]);
});

test('the log store rotates by size, keeps N files, and reads back in order', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-logs-'));
  try {
    const writer = new LogWriter(dir, { maxFileBytes: 400, keepFiles: 2 });
    for (let i = 0; i < 40; i++) writer.append(entry(`line ${i}`));
    writer.close();
    const files = (await readdir(dir)).sort();
    assert.equal(files, ['app.log', 'app.log.1', 'app.log.2']);
    for (const f of files) {
      const s = await stat(join(dir, f));
      assert.ok(s.size <= 400, `${f} is ${s.size} bytes`);
      assert.is(s.mode & 0o777, 0o600);
    }
    const recent = await readRecentLogs(dir, { keepFiles: 2 });
    assert.ok(recent.length < 40, 'old lines rotated away');
    assert.is(recent.at(-1)!.message, 'line 39');
    const numbers = recent.map((e) => Number(e.message.split(' ')[1]));
    assert.equal(numbers, [...numbers].sort((a, b) => a - b));
    assert.equal((await readRecentLogs(dir, { keepFiles: 2, limit: 2 })).map((e) => e.message), ['line 38', 'line 39']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('follow sees new lines, across rotations, and stops when aborted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-logs-'));
  try {
    const writer = new LogWriter(dir, { maxFileBytes: 300, keepFiles: 2 });
    writer.append(entry('before'));
    const seen: string[] = [];
    const controller = new AbortController();
    const following = followLogs(dir, (e) => seen.push(e.message), { signal: controller.signal, pollMs: 10 });
    await new Promise((r) => setTimeout(r, 30));
    for (let i = 0; i < 12; i++) {
      writer.append(entry(`after ${i}`));
      await new Promise((r) => setTimeout(r, 25));
    }
    for (let i = 0; i < 100 && seen.length < 12; i++) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await following;
    writer.close();
    assert.equal(seen, Array.from({ length: 12 }, (_, i) => `after ${i}`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
