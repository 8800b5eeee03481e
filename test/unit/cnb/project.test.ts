import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseProjectDescriptor, projectFilter, projectMetadata } from '../../../src/cnb/project.js';

const F = '/app/project.toml';
const V2 = `[_]\nschema-version = "0.2"\n`;

test('project-descriptor.md schema 0.2: [_], include, group, build.env', () => {
  const p = parseProjectDescriptor(`[_]
schema-version = "0.2"
id = "com.example.app"
name = "Example"
version = "1.2.3"
authors = ["A <a@example.invalid>"]
source-url = "https://example.invalid/src"
[[_.licenses]]
type = "MIT"
[_.metadata]
team = "x"
[io.buildpacks]
include = ["src/", "*.txt"]
[[io.buildpacks.group]]
id = "fixture/provider"
version = "1.0.0"
[[io.buildpacks.group]]
uri = "./buildpacks/local"
[[io.buildpacks.build.env]]
name = "GREETING"
value = "from-project"
`, F);
  assert.is(p.schemaVersion, '0.2');
  assert.equal(p.project, { id: 'com.example.app', name: 'Example', version: '1.2.3', authors: ['A <a@example.invalid>'], sourceUrl: 'https://example.invalid/src', licenses: [{ type: 'MIT' }] });
  assert.equal(p.include, ['src/', '*.txt']);
  assert.equal(p.group.map((g) => [g.id, g.version, g.uri]), [['fixture/provider', '1.0.0', undefined], [undefined, undefined, './buildpacks/local']]);
  assert.equal(p.env, { GREETING: 'from-project' });
  assert.equal(projectMetadata(p), { source: { type: 'project', version: { declared: '1.2.3' }, metadata: {
    url: 'https://example.invalid/src', id: 'com.example.app', name: 'Example', authors: ['A <a@example.invalid>'], licenses: [{ type: 'MIT' }], metadata: { team: 'x' },
  } } });
});

test('schema 0.1: [project], [build] buildpacks, env, exclude', () => {
  const p = parseProjectDescriptor(`[project]\nid = "old"\nversion = "0.1"\n[build]\nexclude = ["*.log"]\n[[build.buildpacks]]\nid = "x/y"\n[[build.env]]\nname = "A"\nvalue = "1"\n`, F);
  assert.equal([p.schemaVersion, p.project.id, p.exclude, p.group[0]!.id, p.env], ['0.1', 'old', ['*.log'], 'x/y', { A: '1' }]);
});

test('malformed or unknown-schema files: one error naming the file and field', () => {
  const err = (text: string) => { try { parseProjectDescriptor(text, F); } catch (e) { return (e as Error).message; } return 'no error'; };
  assert.is(err('[_]\nid = "x"\n'), '/app/project.toml: _.schema-version: is missing');
  assert.is(err('[_]\nschema-version = "0.3"\n'), '/app/project.toml: _.schema-version: schema "0.3" is not supported (supported: 0.2, and 0.1 without [_])');
  assert.match(err('[_\n'), /^\/app\/project\.toml: not valid TOML: /);
  assert.is(err(`${V2}[io.buildpacks]\ninclude = ["a"]\nexclude = ["b"]\n`), '/app/project.toml: io.buildpacks.include: cannot be given with exclude');
  assert.is(err(`${V2}[io.buildpacks]\nexclude = ["ok", "../../etc/shadow"]\n`), "/app/project.toml: io.buildpacks.exclude[1]: '../../etc/shadow' points outside the app directory");
  assert.is(err(`${V2}[io.buildpacks]\ninclude = ["!../secret"]\n`), "/app/project.toml: io.buildpacks.include[0]: '!../secret' points outside the app directory");
  assert.is(err(`${V2}[[io.buildpacks.group]]\nuri = "../other-bp"\n`), "/app/project.toml: io.buildpacks.group[0].uri: '../other-bp' is outside the app directory");
  assert.is(err(`${V2}[[io.buildpacks.group]]\nuri = "/root/bp"\n`), "/app/project.toml: io.buildpacks.group[0].uri: '/root/bp' is outside the app directory");
  assert.is(err(`${V2}[[io.buildpacks.group]]\nuri = "docker://x/y"\n`), "/app/project.toml: io.buildpacks.group[0].uri: 'docker://x/y' is not supported: only a buildpack directory inside the app");
  assert.is(err(`${V2}[[io.buildpacks.group]]\nid = "x"\n[io.buildpacks.group.script]\napi = "0.10"\ninline = "true"\n`), '/app/project.toml: io.buildpacks.group[0].script: inline buildpacks are not supported');
  assert.is(err(`${V2}[[io.buildpacks.pre.group]]\nid = "x"\n`), '/app/project.toml: io.buildpacks.pre.group: is not supported');
  assert.is(err(`${V2}[[io.buildpacks.build.env]]\nname = "A-B"\nvalue = "1"\n`), '/app/project.toml: io.buildpacks.build.env[0].name: "A-B" is not a variable name');
  assert.is(err(`${V2}[io.buildpacks]\nbuidler = "x"\n`), '/app/project.toml: io.buildpacks.buidler: is not a field dropship knows');
  assert.is(err(`${V2}[project]\nid = "x"\n`), '/app/project.toml: project: is not a field dropship knows');
});

test('include keeps only matching files (at any depth); exclude leaves matches out', () => {
  const inc = projectFilter(parseProjectDescriptor(`${V2}[io.buildpacks]\ninclude = ["cmd/", "*.go"]\n`, F))!;
  assert.equal([inc('cmd', true), inc('cmd/main.sh', false), inc('pkg/x.go', false), inc('README', false), inc('pkg', true)], [false, false, false, true, false]);
  const exc = projectFilter(parseProjectDescriptor(`${V2}[io.buildpacks]\nexclude = ["spec/", "*.log"]\n`, F))!;
  assert.equal([exc('spec', true), exc('a/b.log', false), exc('src', true), exc('src/a.js', false)], [true, true, false, false]);
  assert.is(projectFilter(undefined), undefined);
});

test.run();
