import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXIT_CODES, noBuildpackDetected, stepFailure } from '../../../src/staging/failure.js';

const limits = { timeout: '15m', memory: '1G', output: '256M', disk: '100M' };
const exit = { exitCode: 3, oomKilled: false, timedOut: false };

test('a step that filled the staging disk says so, with the limit', () => {
  const error = stepFailure({ step: 'compile', buildpack: 'filler', exit: { ...exit, exitCode: 1, diskFull: true }, tail: [], limits });
  assert.is(error.message, "Failed to compile droplet: buildpack 'filler' failed in compile: bin/compile exited with code 1: No space left (staging disk limit 100M)");
  assert.is(error.code, 'STAGING_DISK_FULL');
  assert.is(error.exitCode, 223);
  assert.match(error.hint!, '--disk');
});

test('exit codes are Cloud Foundry’s', () => {
  assert.equal(EXIT_CODES, { detect: 222, compile: 223, finalize: 223, release: 224, supply: 225 });
});

test('a failed step names the buildpack, the step, the exit code and the last lines', () => {
  const error = stepFailure({ step: 'finalize', buildpack: 'failing', exit, tail: ['compiling app', 'error: syntax error'], limits });
  assert.is(error.message, [
    "Failed to compile droplet: buildpack 'failing' failed in finalize: bin/finalize exited with code 3",
    'last lines of output:',
    '  compiling app',
    '  error: syntax error',
  ].join('\n'));
  assert.is(error.exitCode, 223);
  assert.is(error.code, 'BUILDPACK_COMPILE_FAILED');
  assert.equal(error.details?.step, 'finalize');
});

test('supply → 225, release → 224, compile → 223', () => {
  assert.is(stepFailure({ step: 'supply', buildpack: 'b', exit, tail: [], limits }).exitCode, 225);
  assert.is(stepFailure({ step: 'release', buildpack: 'b', exit, tail: [], limits }).exitCode, 224);
  assert.is(stepFailure({ step: 'compile', buildpack: 'b', exit, tail: [], limits }).exitCode, 223);
});

test('timeout, OOM, output flood and signals are said plainly', () => {
  const timeout = stepFailure({ step: 'finalize', buildpack: 'b', exit: { ...exit, exitCode: 137, timedOut: true }, tail: [], limits });
  assert.is(timeout.code, 'STAGING_TIMEOUT');
  assert.match(timeout.message, /bin\/finalize was still running when the staging timeout \(15m\) expired and was killed/);
  assert.match(timeout.hint!, /--timeout/);
  const oom = stepFailure({ step: 'supply', buildpack: 'b', exit: { ...exit, exitCode: 137, oomKilled: true }, tail: [], limits });
  assert.match(oom.message, /ran out of memory \(limit 1G\)/);
  const flood = stepFailure({ step: 'finalize', buildpack: 'b', exit: { ...exit, exitCode: 137, outputExceeded: true }, tail: [], limits });
  assert.match(flood.message, /wrote more than 256M of output and was killed/);
  const signal = stepFailure({ step: 'finalize', buildpack: 'b', exit: { ...exit, exitCode: 143, signal: 'SIGTERM' }, tail: [], limits });
  assert.match(signal.message, /was killed by SIGTERM/);
});

test('no buildpack detected: 222 and the list tried', () => {
  const error = noBuildpackDetected(['staticfile', 'procfile']);
  assert.is(error.message, 'None of the buildpacks detected a compatible application');
  assert.is(error.exitCode, 222);
  assert.match(error.hint!, /tried, in order: staticfile, procfile/);
});

test.run();
