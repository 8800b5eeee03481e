import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { isTinyMiss, withStackHint } from '../../../src/staging/stack-hint.js';

test("busybox's answers to GNU options and tools tiny lacks (as busybox 1.35 prints them)", () => {
  for (const line of [
    "sed: invalid option -- 'u'",
    'BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.',
    'mktemp: (null): Invalid argument',
    '/tmp/buildpacks/0/bin/compile: line 9: python3: command not found',
    'sh: apt-get: not found',
    '\x1b[31mreadlink: unrecognized option: canonicalize\x1b[0m',
  ]) assert.ok(isTinyMiss(line), line);
  for (const line of ['-----> Installing', 'error: file not found', 'npm ERR! invalid option']) assert.not.ok(isTinyMiss(line), line);
});

test('only a failed buildpack step on tiny after such a line gets the bookworm hint', () => {
  const step = new DropshipError('BUILDPACK_COMPILE_FAILED', 'Failed to compile droplet', { hint: 'old', exitCode: 223, details: { step: 'compile' } });
  const hinted = withStackHint(step, 'tiny', true) as DropshipError;
  assert.match(hinted.hint!, /stage with --stack bookworm$/);
  assert.is(hinted.exitCode, 223);
  assert.is(hinted.message, step.message);
  assert.is(withStackHint(step, 'bookworm', true), step);
  assert.is(withStackHint(step, 'tiny', false), step);
  const other = new DropshipError('INVALID_ENV', 'x');
  assert.is(withStackHint(other, 'tiny', true), other);
});

test.run();
