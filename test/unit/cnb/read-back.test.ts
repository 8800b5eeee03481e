import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StepCapture } from '../../../src/cnb/read-back.js';

test('the capture logs lines before the marker and decodes the dump after it', () => {
  const c = new StepCapture();
  const marker = c.start();
  const logged = ['one', '', 'two', '', marker, Buffer.from('[[provides]]\n').toString('base64')].flatMap((l) => c.line(l));
  assert.equal(logged, ['one', '', 'two'], 'the empty line printed before the marker is not logged');
  assert.is(c.finish().bytes?.toString(), '[[provides]]\n');
});

test('a step that never reached its marker has no dump, and its held empty line is still logged', () => {
  const c = new StepCapture();
  c.start();
  assert.equal(['x', ''].flatMap((l) => c.line(l)), ['x']);
  assert.equal(c.finish(), { bytes: undefined, pending: [''] });
});

test('the marker is random per step: an earlier marker is ordinary output', () => {
  const c = new StepCapture();
  const first = c.start();
  c.finish();
  c.start();
  assert.equal(c.line(first), [first]);
});

test.run();
