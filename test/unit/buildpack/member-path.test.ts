import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memberSegments } from '../../../src/buildpack/member-path.js';
import { readableByAll } from '../../../src/util/no-follow.js';

test('member names: ./ and empty segments dropped, the root gives nothing', () => {
  assert.equal(memberSegments('bp.tgz', './bin/detect'), ['bin', 'detect']);
  assert.equal(memberSegments('bp.tgz', 'bp//bin/./compile'), ['bp', 'bin', 'compile']);
  assert.equal(memberSegments('bp.tgz', './'), []);
  assert.equal(memberSegments('bp.tgz', 'a..b/..c'), ['a..b', '..c']);
});

test('absolute, drive-letter, .. and NUL names are refused, naming the archive and member', () => {
  assert.throws(() => memberSegments('/x/bp.tgz', '/etc/passwd'), /\/x\/bp\.tgz: member '\/etc\/passwd' is an absolute path/);
  assert.throws(() => memberSegments('bp.zip', 'C:\\evil'), /absolute path/);
  assert.throws(() => memberSegments('bp.zip', 'bin/../../x'), /member 'bin\/..\/..\/x' has a '..' component/);
  assert.throws(() => memberSegments('bp.zip', '..'), /'\.\.' component/);
  assert.throws(() => memberSegments('bp.zip', 'a\0b'), /NUL/);
});

test('buildpack modes: readable by all, executables executable, never writable by others or special', () => {
  assert.is(readableByAll(0o4755, false), 0o755);
  assert.is(readableByAll(0o2777, true), 0o755);
  assert.is(readableByAll(0o600, false), 0o644);
  assert.is(readableByAll(0o700, false), 0o755);
  assert.is(readableByAll(0o666, false), 0o644);
  assert.is(readableByAll(0o1700, true), 0o755);
});

test.run();
