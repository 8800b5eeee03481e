import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDescriptor, readDescriptor, supportsTarget } from '../../../src/cnb/descriptor.js';
import { isDropshipError } from '../../../src/errors.js';

const F = '/bp/buildpack.toml';

function fails(text: string, code: string, message: RegExp): void {
  try {
    parseDescriptor(text, F);
  } catch (error) {
    assert.ok(isDropshipError(error));
    assert.is(error.code, code);
    assert.match(error.message, message);
    assert.ok(error.hint);
    return;
  }
  assert.unreachable(`accepted: ${text}`);
}

test('buildpack.md "buildpack.toml (TOML)": id, name, version, clear-env, targets, stacks', () => {
  const d = parseDescriptor(`api = "0.11"
[buildpack]
id = "samples/hello"
version = "0.0.1"
clear-env = true
[[targets]]
os = "linux"
arch = "amd64"
[[targets.distros]]
name = "debian"
version = "12"
[[stacks]]
id = "io.buildpacks.stacks.bookworm"
`, F);
  assert.equal([d.api, d.id, d.name, d.version, d.clearEnv, d.stacks], ['0.11', 'samples/hello', 'samples/hello', '0.0.1', true, ['io.buildpacks.stacks.bookworm']]);
  assert.ok(supportsTarget(d, { os: 'linux', arch: 'amd64', distroName: 'debian', distroVersion: '12' }));
  assert.not.ok(supportsTarget(d, { os: 'linux', arch: 'arm64', distroName: 'debian', distroVersion: '12' }));
  assert.not.ok(supportsTarget(d, { os: 'linux', arch: 'amd64', distroName: 'ubuntu', distroVersion: '22.04' }));
});

test('buildpack.md "Order Resolution": a composite lists [[order]] groups with optional members', () => {
  const d = parseDescriptor(`api = "0.10"
[buildpack]
id = "meta"
version = "1"
[[order]]
[[order.group]]
id = "a"
version = "1.0"
[[order.group]]
id = "b"
optional = true
[[order]]
[[order.group]]
id = "c"
`, F);
  assert.equal(d.order, [[{ id: 'a', version: '1.0', optional: false }, { id: 'b', version: undefined, optional: true }], [{ id: 'c', version: undefined, optional: false }]]);
});

test('an unsupported api is refused with exit code 12 naming the file and field', () => {
  fails('api = "0.7"\n[buildpack]\nid = "x"\nversion = "1"\n', 'CNB_API_UNSUPPORTED', /^\/bp\/buildpack\.toml: api: Buildpack API 0\.7 is not supported \(supported: 0\.10, 0\.11, 0\.12\)$/);
  try { parseDescriptor('api = "0.13"\n[buildpack]\nid = "x"\nversion = "1"\n', F); } catch (e) { assert.is((e as { exitCode: number }).exitCode, 12); }
});

test('malformed buildpack.toml: each error names file and field', () => {
  fails('api = "0.12"\n[buildpack\n', 'CNB_BUILDPACK_TOML_INVALID', /^\/bp\/buildpack\.toml: not valid TOML/);
  fails('[buildpack]\nid = "x"\nversion = "1"\n', 'CNB_BUILDPACK_TOML_INVALID', /: api: is missing$/);
  fails('api = "0.12"\n', 'CNB_BUILDPACK_TOML_INVALID', /: \[buildpack\]: is missing$/);
  fails('api = "0.12"\n[buildpack]\nversion = "1"\n', 'CNB_BUILDPACK_TOML_INVALID', /: \[buildpack\] id: is missing$/);
  fails('api = "0.12"\n[buildpack]\nid = "x"\n', 'CNB_BUILDPACK_TOML_INVALID', /: \[buildpack\] version: is missing$/);
  fails('api = "0.12"\n[buildpack]\nid = "x"\nversion = 1\n', 'CNB_BUILDPACK_TOML_INVALID', /: \[buildpack\] version: must be a string, not 1$/);
  fails('api = "0.12"\n[buildpack]\nid = "x"\nversion = "1"\nclear-env = "yes"\n', 'CNB_BUILDPACK_TOML_INVALID', /clear-env: must be true or false/);
  fails('api = "0.12"\n[buildpack]\nid = "x"\nversion = "1"\n[[order]]\n', 'CNB_BUILDPACK_TOML_INVALID', /: order\[0\]\.group: is empty$/);
});

test('an id that would escape the layers directory is refused', () => {
  for (const id of ['../etc', '/abs', 'a/../b', 'a//b', 'app', 'x y', '.hidden']) {
    fails(`api = "0.12"\n[buildpack]\nid = "${id}"\nversion = "1"\n`, 'CNB_BUILDPACK_TOML_INVALID', /\[buildpack\] id: '.*' is not a valid buildpack id$/);
  }
});

test('readDescriptor: a buildpack.toml that is a link to a root-only file, or a fifo, is refused naming the file; nothing of the target leaks', async () => {
  const base = await mkdtemp(join(tmpdir(), 'descriptor-'));
  try {
    const secret = join(base, 'root-only');
    await writeFile(secret, 'SECRET-MARKER-7d1 = [\n', { mode: 0o600 });
    for (const [name, plant, code] of [
      ['linked', (file: string) => symlink(secret, file), 'FILE_IS_LINK'],
      ['fifo', async (file: string) => { execFileSync('mkfifo', [file]); }, 'FILE_NOT_REGULAR'],
    ] as const) {
      const dir = join(base, name);
      await mkdir(dir);
      await plant(join(dir, 'buildpack.toml'));
      const error = await readDescriptor(dir).then(() => undefined, (e: unknown) => e);
      assert.ok(isDropshipError(error), String(error));
      assert.is(error.code, code);
      assert.ok(error.message.startsWith(`${join(dir, 'buildpack.toml')} is `), error.message);
      assert.ok(error.hint);
      assert.not.ok(`${error.message}${error.hint}`.includes('SECRET-MARKER'), 'the target leaked');
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test.run();
