import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseProcfile } from '../../../src/staging/procfile.js';

test('keeps each command exactly as written, quotes and colons included', () => {
  const processes = parseProcfile([
    '# comment',
    `web: sh -c 'echo "ready: yes"; exec ./server'`,
    '',
    `worker: ./worker.sh --name "two words" --sep=':'`,
  ].join('\n'));
  assert.equal(processes, {
    web: `sh -c 'echo "ready: yes"; exec ./server'`,
    worker: `./worker.sh --name "two words" --sep=':'`,
  });
});

test('accepts CRLF line ends and a later line overrides an earlier one', () => {
  assert.equal(parseProcfile('web: a\r\nweb: b\r\n'), { web: 'b' });
});

test('a line that is not type: command is an error naming the line', () => {
  try {
    parseProcfile('web: ok\nthis is not a process\n');
    assert.unreachable();
  } catch (error) {
    assert.is((error as Error).message, "Procfile line 2: 'this is not a process' is not 'type: command'");
  }
});

test('a type without a command is an error', () => {
  assert.throws(() => parseProcfile('web:\n'), /process type 'web' has no command/);
});

test.run();
