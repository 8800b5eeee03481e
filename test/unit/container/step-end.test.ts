import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StepStream, wrapStep } from '../../../src/container/step-end.js';

const NONCE = 'dropship-step-end-0123456789abcdef';

function stream() {
  const out: string[] = [];
  let ends = 0;
  const s = new StepStream(NONCE, (chunk) => out.push(chunk.toString('utf8')), () => ends++);
  return { s, text: () => out.join(''), ends: () => ends };
}

test('output before the mark passes, the status is read, what follows is not the step\'s', () => {
  const { s, text, ends } = stream();
  s.write(Buffer.from(`one\ntwo\n${NONCE} 3\nlater from a helper\n`));
  assert.is(text(), 'one\ntwo\n');
  assert.is(s.status, 3);
  assert.is(ends(), 1);
  s.write(Buffer.from('more\n'));
  assert.is(text(), 'one\ntwo\n');
});

test('a mark split across chunks at every byte is still found; bytes that only look like its start are passed on', () => {
  const whole = `partial line${NONCE} 0\n`;
  for (let cut = 1; cut < whole.length; cut++) {
    const { s, text } = stream();
    s.write(Buffer.from(whole.slice(0, cut)));
    s.write(Buffer.from(whole.slice(cut)));
    assert.is(text(), 'partial line', `cut at ${cut}`);
    assert.is(s.status, 0, `cut at ${cut}`);
  }
  const { s, text } = stream();
  s.write(Buffer.from('x dropship-step'));
  s.write(Buffer.from('-end-other\n'));
  s.flush();
  assert.is(text(), 'x dropship-step-end-other\n');
  assert.is(s.status, undefined);
});

test('without a mark (the container was killed), flush passes on what was held back', () => {
  const { s, text } = stream();
  s.write(Buffer.from('last words dropship-st'));
  assert.is(text(), 'last words ');
  s.flush();
  assert.is(text(), 'last words dropship-st');
  assert.is(s.status, undefined);
});

test('the wrapper runs the args as given, the nonce as its $0', () => {
  assert.equal(wrapStep(['/tmp/bp/bin/compile', 'a b', '$HOME'], NONCE).slice(3), [NONCE, '/tmp/bp/bin/compile', 'a b', '$HOME']);
});

test.run();
