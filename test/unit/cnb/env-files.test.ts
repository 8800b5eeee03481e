import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyEnvChanges, envChanges, layerPathChanges } from '../../../src/cnb/env-files.js';

const apply = (env: Record<string, string>, files: Record<string, string>) =>
  applyEnvChanges(env, envChanges(Object.entries(files).map(([file, content]) => ({ file, content }))).changes);

test('buildpack.md "Environment Variable Modification Rules": no suffix and .override replace', () => {
  assert.equal(apply({ A: 'old', B: 'old' }, { A: 'new', 'B.override': 'new2' }), { A: 'new', B: 'new2' });
});

test('.default sets only when unset', () => {
  assert.equal(apply({ A: 'kept' }, { 'A.default': 'x', 'B.default': 'y' }), { A: 'kept', B: 'y' });
});

test('.append/.prepend use <NAME>.delim; without it the values are joined as they are', () => {
  assert.equal(apply({ P: '/a', Q: 'q' }, { 'P.append': '/b', 'P.delim': ':', 'Q.prepend': 'x' }), { P: '/a:/b', Q: 'xq' });
  assert.equal(apply({ P: '/a' }, { 'P.prepend': '/z', 'P.delim': ':' }), { P: '/z:/a' });
  assert.equal(apply({}, { 'P.append': '/b', 'P.delim': ':' }), { P: '/b' });
});

test('values are literal bytes: $(…), backticks, newlines and spaces are kept as written', () => {
  const evil = '$(touch /tmp/pwned) `id` ${HOME}\n';
  assert.equal(apply({}, { X: evil }), { X: evil });
});

test('a file named like no variable is reported, not applied', () => {
  const { changes, ignored } = envChanges([{ file: 'A-B', content: 'x' }, { file: 'C.weird', content: 'y' }, { file: 'OK', content: 'z' }]);
  assert.equal(ignored, ['A-B', 'C.weird']);
  assert.equal(changes, [{ name: 'OK', op: 'override', value: 'z' }]);
});

test('a layer bin/ and lib/ go on PATH and LD_LIBRARY_PATH (LIBRARY_PATH only while building)', () => {
  const env = applyEnvChanges({ PATH: '/usr/bin' }, layerPathChanges('/layers/a/l', { bin: true, lib: true }, 'build'));
  assert.equal(env, { PATH: '/layers/a/l/bin:/usr/bin', LD_LIBRARY_PATH: '/layers/a/l/lib', LIBRARY_PATH: '/layers/a/l/lib' });
  assert.equal(layerPathChanges('/l', { bin: false, lib: true }, 'launch').map((c) => c.name), ['LD_LIBRARY_PATH']);
});

test.run();
