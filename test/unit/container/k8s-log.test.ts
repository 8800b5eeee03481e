import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogLineJoiner, parseLogRecord } from '../../../src/container/k8s-log.js';
import { DropshipError } from '../../../src/errors.js';

const T = '2026-12-01T21:00:26.352680870+00:00';

test('a record: time as written, stream, content, F/P', () => {
  assert.equal(parseLogRecord(`${T} stdout F n=0`), { time: T, stream: 'stdout', line: 'n=0', partial: false });
  assert.equal(parseLogRecord(`${T} stderr P half`), { time: T, stream: 'stderr', line: 'half', partial: true });
  assert.equal(parseLogRecord('2026-12-01T21:00:26Z stdout F '), { time: '2026-12-01T21:00:26Z', stream: 'stdout', line: '', partial: false });
  assert.equal(parseLogRecord(`2026-12-01T21:00:26.1-05:30 stdout F x`).time, '2026-12-01T21:00:26.1-05:30');
});

test('content that looks like a record, or holds spaces and control bytes, stays content', () => {
  const forged = `${T} stderr F root password changed`;
  assert.equal(parseLogRecord(`${T} stdout F ${forged}`), { time: T, stream: 'stdout', line: forged, partial: false });
  assert.is(parseLogRecord(`${T} stdout F  two  spaces\tand\rcr\u0000nul`).line, ' two  spaces\tand\rcr\u0000nul');
});

test('what conmon never writes is refused, naming where', () => {
  for (const bad of ['', 'hello', `${T} stdin F x`, `${T} stdout X x`, `${T}  stdout F x`, `21:00:26 stdout F x`, `${T} stdoutF x`]) {
    try {
      parseLogRecord(bad, '/logs/web-0.log:7');
      assert.unreachable(`accepted ${JSON.stringify(bad)}`);
    } catch (error) {
      assert.instance(error, DropshipError);
      assert.is((error as DropshipError).code, 'LOG_RECORD_INVALID');
      assert.match((error as DropshipError).message, /^\/logs\/web-0\.log:7: /);
    }
  }
});

test('the joiner puts P pieces back together per stream, interleaved streams kept apart', () => {
  const joiner = new LogLineJoiner();
  const t = (n: number) => `2026-12-01T21:00:0${n}Z`;
  const out = [
    joiner.push({ time: t(1), stream: 'stdout', line: 'hel', partial: true }),
    joiner.push({ time: t(2), stream: 'stderr', line: 'oops', partial: false }),
    joiner.push({ time: t(3), stream: 'stdout', line: 'lo', partial: true }),
    joiner.push({ time: t(4), stream: 'stdout', line: ' world', partial: false }),
  ];
  assert.equal(out, [
    undefined,
    { time: t(2), stream: 'stderr', line: 'oops', cut: false },
    undefined,
    { time: t(1), stream: 'stdout', line: 'hello world', cut: false },
  ]);
  assert.equal(joiner.flush(), []);
});

test('an endless line is cut at maxLine; a line left open at the end is flushed', () => {
  const joiner = new LogLineJoiner(10);
  for (let i = 0; i < 1000; i++) assert.is(joiner.push({ time: 'a', stream: 'stdout', line: 'x'.repeat(8192), partial: true }), undefined);
  assert.equal(joiner.push({ time: 'b', stream: 'stdout', line: 'end', partial: false }), { time: 'a', stream: 'stdout', line: 'x'.repeat(10), cut: true });
  joiner.push({ time: 'c', stream: 'stderr', line: 'no newline', partial: true });
  assert.equal(joiner.flush(), [{ time: 'c', stream: 'stderr', line: 'no newline', cut: false }]);
  assert.equal(joiner.flush(), []);
});

test.run();
