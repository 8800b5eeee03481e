// platform.md "launcher" and buildpack.md "Exec.d" end to end: an image built from fixture
// buildpacks whose launch layer has profile.d and exec.d with hostile names and output, run by
// real runc (umoci unpack, no dropship at run time); markers are checked in the rootfs from the host.
import '../../helpers/env.js';
import { access, chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TEST_HOME, uniqueName } from '../../helpers/env.js';
import { exportImage } from '../../../src/oci/index.js';
import { bp, CNB_APPS, cnbScratch } from './helpers.js';

const s = cnbScratch('launch');
const exists = (path: string) => access(path).then(() => true, () => false);
let dir: string;
let bundle: string;
const lines: string[] = [];
let entrypoint: string[] | undefined;

test.before(async () => {
  await s.build({ appDir: join(CNB_APPS, 'profile'), buildpacks: [bp('launch-scripts'), bp('launch-after')], tag: s.tag('v1'), lines });
  dir = await mkdtemp(join(TEST_HOME, 'tmp', 'cnb-launch-'));
  await exportImage(s.tag('v1'), { ociLayout: join(dir, 'layout') });
  bundle = join(dir, 'bundle');
  await execa('umoci', ['unpack', '--image', `${join(dir, 'layout')}:v1`, bundle]);
  await chmod(bundle, 0o711);
});

test.after(async () => {
  await rm(dir, { recursive: true, force: true });
  await s.cleanup();
});

/** `runc run` of the bundle with process.args replaced (undefined: the image's ENTRYPOINT). */
async function run(args?: string[]): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
  const configPath = join(bundle, 'config.json');
  const spec = JSON.parse(await readFile(configPath, 'utf8'));
  spec.process.terminal = false;
  entrypoint ??= spec.process.args as string[];
  spec.process.args = args ?? entrypoint;
  await writeFile(configPath, JSON.stringify(spec));
  const id = uniqueName('cnb-launch');
  try {
    const r = await execa('runc', ['run', '--bundle', bundle, id], { reject: false, timeout: 30_000 });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  } finally {
    await execa('runc', ['delete', '--force', id], { reject: false });
  }
}

test('buildpack.md "Exec.d": a later buildpack\'s bin/build gets an earlier build layer\'s bin/, but its exec.d is not run', () => {
  assert.ok(lines.includes('after: tool=tool EXECD_EVIL=unset EXECD_CWD=unset ran=no'), lines.join('\n'));
});

test('platform.md "launcher": a buildpack process (direct) gets exec.d output as bytes and sources no profile.d', async () => {
  const r = await run();
  assert.is(r.exitCode, 0, r.stderr);
  assert.is(r.stdout, 'web: PROFILE_ORDER=unset EXECD_EVIL=<$(touch /tmp/pwned-execd)`touch /tmp/pwned-execd2`\nINJECTED=1 "q"> INJECTED=unset EXECD_CWD=/workspace EXECD_TYPED=web after /workspace');
  assert.ok(await exists(join(bundle, 'rootfs/tmp/web-ran')), 'positive control: the process wrote /tmp');
  assert.ok(await exists(join(bundle, 'rootfs/tmp/execd-ran')));
  for (const marker of ['pwned-execd', 'pwned-execd2']) assert.not.ok(await exists(join(bundle, 'rootfs/tmp', marker)), `${marker}: exec.d output was evaluated`);
});

test('platform.md "launcher": /cnb/lifecycle/launcher CMD (the shell strategy) sources profile.d in order, then .profile; a file name is never run', async () => {
  const r = await run(['/cnb/lifecycle/launcher', 'printf "PROFILE_ORDER=%s" "$PROFILE_ORDER"']);
  assert.is(r.exitCode, 0, r.stderr);
  assert.is(r.stdout, 'PROFILE_ORDER=tools/1,odd,.profile');
  assert.ok(await exists(join(bundle, 'rootfs/workspace/profile-ran')), 'positive control: .profile wrote its cwd, the app dir');
  for (const marker of ['pwned-profile-name', 'pwned-profile-name2']) assert.not.ok(await exists(join(bundle, 'rootfs/workspace', marker)), `${marker}: a profile.d name was run`);
  const direct = await run(['/cnb/lifecycle/launcher', '--', 'sh', '-c', 'printf "%s" "${PROFILE_ORDER-unset}"']);
  assert.is(direct.stdout, 'unset', direct.stderr);
});

test.run();
