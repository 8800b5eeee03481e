import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineBuffer, MAX_LINE } from '../../../src/staging/output.js';

test('splits chunks into lines, waiting for partial lines', () => {
  const lines: string[] = [];
  const buffer = new LineBuffer((l) => lines.push(l));
  buffer.write(Buffer.from('one\ntw'));
  buffer.write(Buffer.from('o\r\nthree'));
  assert.equal(lines, ['one', 'two']);
  buffer.end();
  assert.equal(lines, ['one', 'two', 'three']);
  assert.is(buffer.bytes, 14);
});

test('multi-byte characters split across chunks survive', () => {
  const lines: string[] = [];
  const buffer = new LineBuffer((l) => lines.push(l));
  const bytes = Buffer.from('héllo\n');
  buffer.write(bytes.subarray(0, 2));
  buffer.write(bytes.subarray(2));
  assert.equal(lines, ['héllo']);
});

test('very long lines are cut once, the rest of the line dropped', () => {
  const lines: string[] = [];
  const buffer = new LineBuffer((l) => lines.push(l));
  buffer.write(Buffer.from('x'.repeat(MAX_LINE + 10)));
  buffer.write(Buffer.from('y'.repeat(MAX_LINE + 10)));
  buffer.write(Buffer.from('tail\nnext\n'));
  assert.is(lines.length, 2);
  assert.ok(lines[0]!.endsWith(' [line cut]'));
  assert.is(lines[1], 'next');
});

test('keeps the last lines', () => {
  const buffer = new LineBuffer(() => undefined, 3);
  buffer.write(Buffer.from('1\n2\n3\n4\n5\n'));
  assert.equal(buffer.tail, ['3', '4', '5']);
});

test.run();
