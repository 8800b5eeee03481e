import { uniqueName } from '../../helpers/env.js';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeDroplet, startRegistry, tempDir, type TestRegistry } from './image-fixtures.js';

const CLI = ['--import', 'tsx', join(process.cwd(), 'src/cli/main.ts')];
const dropship = (args: string[], options: { input?: string; env?: Record<string, string> } = {}) =>
  execa('node', [...CLI, ...args], { reject: false, input: options.input, env: options.env });

const name = uniqueName('h4-cli');
let dir: string;
let registry: TestRegistry;

test.before(async () => {
  dir = await tempDir('image-cli');
  registry = await startRegistry();
});

test.after(async () => {
  await dropship(['image', 'rm', `${name}:v1`]);
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('image build, ls, inspect, export and rm through the command line', async () => {
  const droplet = await makeDroplet(join(dir, 'droplet.tgz'), { startCommand: 'echo cli' });
  const built = await dropship(['image', 'build', '--droplet', droplet, '--stack', 'tiny', '--tag', `${name}:v1`, '--json']);
  assert.is(built.exitCode, 0, built.stderr);
  const digest = (JSON.parse(built.stdout) as { digest: string }).digest;

  const ls = JSON.parse((await dropship(['image', 'ls', '--json'])).stdout) as Array<{ name: string; tag: string; digest: string }>;
  assert.ok(ls.some((i) => i.name === name && i.tag === 'v1' && i.digest === digest));

  const inspected = await dropship(['image', 'inspect', `${name}:v1`, '--json']);
  const details = JSON.parse(inspected.stdout) as { name: string; tag: string; digest: string; config: { config: { Cmd: string[] } }; layers: unknown[] };
  assert.is(details.name, name);
  assert.is(details.tag, 'v1');
  assert.is(details.digest, digest);
  assert.equal(details.config.config.Cmd, ['echo cli']);
  assert.is(details.layers.length, 2);

  const layout = join(dir, 'layout');
  const exported = await dropship(['image', 'export', `${name}:v1`, '--oci-layout', layout]);
  assert.is(exported.exitCode, 0, exported.stderr);
  assert.match(exported.stdout, /as ref 'v1'/);

  const missing = await dropship(['image', 'inspect', `${name}:nope`]);
  assert.is(missing.exitCode, 1);
  assert.match(missing.stderr, new RegExp(`^error: image ${name}:nope is not in the store\\nhint: `));
});

test('login keeps the password out of argv and output, in a 0600 file; push uses it', async () => {
  const home = join(dir, 'home');
  const env = { DROPSHIP_HOME: home };
  const secret = 'pa55-word-not-printed';
  const login = await dropship(['login', registry.host, '--insecure', '--username', 'ci', '--password-stdin'], { input: `${secret}\n`, env });
  assert.is(login.exitCode, 0, login.stderr);
  assert.match(login.stdout, /^Login succeeded/);
  assert.not.ok(login.stdout.includes(secret) || login.stderr.includes(secret));
  const file = join(home, 'auth.json');
  assert.is((await stat(file)).mode & 0o777, 0o600);
  assert.not.ok((await readFile(file, 'utf8')).includes(secret));

  const noPassword = await dropship(['image', 'push', `${name}:v1`, `${registry.host}/cli/app:v1`, '--insecure', '--username', 'ci']);
  assert.is(noPassword.exitCode, 1);
  assert.match(noPassword.stderr, /--username needs --password-stdin/);

  const pushed = await dropship(['image', 'push', `${name}:v1`, `${registry.host}/cli/app:v1`, '--insecure', '--json']);
  assert.is(pushed.exitCode, 0, pushed.stderr);
  assert.is((JSON.parse(pushed.stdout) as { stats: { blobsUploaded: number } }).stats.blobsUploaded, 3);
  const logout = await dropship(['logout', registry.host], { env });
  assert.match(logout.stdout, /Removed the credentials/);
});

test.run();
