import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mergeProcessTypes, parseBuildToml, parseLaunchToml, parseLayerToml } from '../../../src/cnb/layer-toml.js';

test('buildpack.md "Layer Content Metadata (TOML)": [types] default false, [metadata] kept', () => {
  assert.equal(parseLayerToml('[types]\nlaunch = true\n[metadata]\nv = "1"\n', 'a', 'l.toml'), { types: { launch: true, build: false, cache: false }, metadata: { v: '1' } });
  assert.throws(() => parseLayerToml('[types]\nlaunch = "yes"\n', 'bp/a', 'node.toml'), /^buildpack bp\/a: node\.toml: \[types\] launch: must be true or false, not "yes"$/);
});

test('buildpack.md "launch.toml (TOML)": command arrays, args, default, working-dir, labels, slices', () => {
  const l = parseLaunchToml(`[[processes]]
type = "web"
command = ["./server", "--port"]
args = ["8080"]
default = true
working-dir = "/workspace/app"
[[labels]]
key = "k"
value = "v"
[[slices]]
paths = ["static/*"]
`, 'a');
  assert.equal(l.processes, [{ type: 'web', command: ['./server', '--port'], args: ['8080'], default: true, workingDir: '/workspace/app' }]);
  assert.equal([l.labels, l.slices], [[{ key: 'k', value: 'v' }], [{ paths: ['static/*'] }]]);
});

test('a process with no command is refused, naming the buildpack, file and field', () => {
  assert.throws(() => parseLaunchToml('[[processes]]\ntype = "web"\n', 'x/y'), /^buildpack x\/y: launch\.toml: processes\[0\] command: process 'web' has no command$/);
  assert.throws(() => parseLaunchToml('[[processes]]\ntype = "web"\ncommand = "./run"\n', 'x'), /processes\[0\] command: must be an array of strings/);
  assert.throws(() => parseLaunchToml('[[processes]]\ntype = "../x"\ncommand = ["a"]\n', 'x'), /processes\[0\] type: "\.\.\/x" is not a process type/);
});

test('build.toml [[unmet]] names', () => {
  assert.equal(parseBuildToml('[[unmet]]\nname = "node"\n', 'a'), ['node']);
});

test('process types: later buildpacks replace earlier types; the default is the last marked default, else web', () => {
  const p = (type: string, def = false) => ({ type, command: [type], args: [], default: def });
  assert.equal(mergeProcessTypes([[p('web'), p('worker')], [p('web')]]).defaultType, 'web');
  const m = mergeProcessTypes([[p('a', true)], [p('b', true), p('web')]]);
  assert.equal([m.defaultType, m.processes.map((x) => x.type)], ['b', ['a', 'b', 'web']]);
  assert.is(mergeProcessTypes([[p('worker')]]).defaultType, undefined);
});

test.run();
