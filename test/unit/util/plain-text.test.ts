import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plainText } from '../../../src/util/plain-text.js';

test('colours, cursor moves, titles and links are removed; the words stay', () => {
  assert.is(plainText('\x1b[1;31m!\x1b[0m     Push rejected'), '!     Push rejected');
  assert.is(plainText('\x1b[2K\x1b[1Gdone'), 'done');
  assert.is(plainText('\x1b]0;owned title\x07text'), 'text');
  assert.is(plainText('\x1b]8;;https://example.invalid\x1b\\link\x1b]8;;\x1b\\'), 'link');
  assert.is(plainText('\x9b31mred'), 'red');
});

test('other control characters go (carriage returns, bells, backspaces); newlines and tabs stay', () => {
  assert.is(plainText('50%\r100%\x07\x08'), '50%100%');
  assert.is(plainText('a\tb\nc'), 'a\tb\nc');
  assert.is(plainText('\x1b'), '');
});

test.run();
