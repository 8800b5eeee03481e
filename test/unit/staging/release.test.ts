import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseLaunchYaml, parseReleaseYaml } from '../../../src/staging/release.js';
import { DropshipError } from '../../../src/errors.js';

test('reads default_process_types and config_vars', () => {
  const info = parseReleaseYaml([
    '---',
    'default_process_types:',
    '  web: bin/start',
    "  worker: sh -c 'while :; do sleep 5; done'",
    'config_vars:',
    '  MODE: production',
    '  PORT_HINT: 8080',
  ].join('\n'));
  assert.equal(info.defaultProcessTypes, { web: 'bin/start', worker: "sh -c 'while :; do sleep 5; done'" });
  assert.equal(info.configVars, { MODE: 'production', PORT_HINT: '8080' });
});

test('empty output and an empty map release nothing', () => {
  assert.equal(parseReleaseYaml(''), { defaultProcessTypes: {}, configVars: {} });
  assert.equal(parseReleaseYaml('--- {}'), { defaultProcessTypes: {}, configVars: {} });
});

test('invalid YAML is a release failure (exit 224)', () => {
  try {
    parseReleaseYaml('default_process_types: [web: : :', "bin/release of buildpack 'x'");
    assert.unreachable();
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as DropshipError).exitCode, 224);
    assert.match((error as Error).message, /^bin\/release of buildpack 'x' is not valid YAML/);
  }
});

test('default_process_types must be a map of strings', () => {
  assert.throws(() => parseReleaseYaml('default_process_types: [a, b]'), /'default_process_types' must be a map, got a list/);
  assert.throws(() => parseReleaseYaml('default_process_types: {web: {a: 1}}'), /default_process_types.web must be a string/);
});

test('config_vars names must be environment variable names', () => {
  assert.throws(() => parseReleaseYaml('config_vars: {"1BAD": x}'), /config_vars name '1BAD'/);
});

test('launch.yml processes', () => {
  assert.equal(parseLaunchYaml('processes:\n- type: web\n  command: tool serve\n', 'launch.yml'), [{ type: 'web', command: 'tool serve' }]);
  assert.equal(parseLaunchYaml('', 'launch.yml'), []);
  assert.throws(() => parseLaunchYaml('processes:\n- type: web\n', 'deps/0/launch.yml'), /deps\/0\/launch.yml: processes\[0\] needs a string 'type' and 'command'/);
});

test.run();
