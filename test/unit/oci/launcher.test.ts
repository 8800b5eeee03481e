import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { launcherScript } from '../../../src/oci/launcher.js';

let root: string;
let script: string;

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dropship-launcher-'));
  await mkdir(join(root, 'app/.profile.d'), { recursive: true });
  await mkdir(join(root, 'profile.d'));
  await writeFile(join(root, 'profile.d/0000_deps.sh'), 'export ORDER="deps"\n');
  await writeFile(join(root, 'app/.profile.d/app.sh'), 'export ORDER="$ORDER,app"\n');
  await writeFile(join(root, 'app/.profile'), 'export ORDER="$ORDER,profile"\n');
  // The script hard-codes /home/vcap; point it at the temp tree instead.
  script = join(root, 'launcher');
  await writeFile(script, launcherScript().replaceAll('/home/vcap', root), { mode: 0o755 });
});

test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

const launch = (args: string[], env: Record<string, string> = {}) =>
  execa('/bin/sh', [script, ...args], { env: { PATH: '/usr/bin:/bin', ...env }, extendEnv: false, reject: false });

test('is POSIX sh (dash parses it)', async () => {
  const result = await execa('/bin/sh', ['-n', script], { reject: false });
  assert.is(result.exitCode, 0, result.stderr);
});

test('sets up HOME, TMPDIR, DEPS_DIR, cwd and PORT, then sources profile.d, .profile.d and .profile in order', async () => {
  const result = await launch(['printf "%s|" "$HOME" "$TMPDIR" "$DEPS_DIR" "$(pwd)" "$PORT" "$ORDER"']);
  assert.is(result.exitCode, 0, result.stderr);
  assert.is(result.stdout, `${root}/app|${root}/tmp|${root}/deps|${root}/app|8080|deps,app,profile|`);
});

test('keeps the quoting of the start command', async () => {
  const result = await launch([`printf '<%s>' "a  b" 'c"d' e`]);
  assert.is(result.stdout, '<a  b><c"d><e>');
});

test('several arguments are executed as given, without a shell', async () => {
  const result = await launch(['printf', '<%s>', 'x y', '$HOME']);
  assert.is(result.stdout, '<x y><$HOME>');
});

test('fills port, host and instance index into VCAP_APPLICATION when missing', async () => {
  const show = ['printf %s "$VCAP_APPLICATION"'];
  assert.equal(JSON.parse((await launch(show, { PORT: '9000', CF_INSTANCE_INDEX: '3' })).stdout), { port: 9000, host: '0.0.0.0', instance_index: 3 });
  assert.equal(JSON.parse((await launch(show, { VCAP_APPLICATION: '{"name":"x"}' })).stdout), { port: 8080, host: '0.0.0.0', instance_index: 0, name: 'x' });
  assert.equal(JSON.parse((await launch(show, { VCAP_APPLICATION: '{ }' })).stdout), { port: 8080, host: '0.0.0.0', instance_index: 0 });
  const full = '{"port":1,"host":"h","instance_index":2}';
  assert.is((await launch(show, { VCAP_APPLICATION: full })).stdout, full);
});

test('without a command it says so and fails', async () => {
  const result = await launch([]);
  assert.is(result.exitCode, 1);
  assert.match(result.stderr, /no start command/);
});

test.run();
