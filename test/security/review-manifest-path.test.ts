// Review of the trust boundary "an app's own files are untrusted" (the rule the manifest's
// buildpacks already follow): a manifest.yml found beside the app is written by whoever wrote
// the app, and its `path:` chose the directory root copies into the droplet. `path: /root/.ssh`,
// `../../secret` or a symlink out of the app made `dropship push` (run in the app's directory)
// stage that host directory: the app could then read and serve it. Refused now before anything is
// written, naming the manifest line; a `-f` manifest (the operator's) may still point anywhere.
// Failed before this change: the push went on to build the stack and stage the secret directory.
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planPush } from '../../src/push/push-options.js';
import { readManifest } from '../../src/push/manifest.js';
import { keepSource } from '../../src/push/source-store.js';
import { copyAppSource } from '../../src/staging/index.js';
import type { DropshipError } from '../../src/errors.js';
import { rejects } from '../helpers/assert.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
// Absolute, so the CLI can run with the app directory as its working directory.
const TSX = import.meta.resolve('tsx');

/** Everything under `root` but the store (`skip`), which the CLI sets up on its first run. */
async function snapshot(root: string, skip = join(root, 'home')): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(root)).sort()) {
    const path = join(root, name);
    if (path === skip) continue;
    const s = await lstat(path);
    out.push(`${path} ${s.mode.toString(8)} ${s.isDirectory() ? '-' : s.size}`);
    if (s.isDirectory()) out.push(...(await snapshot(path, skip)));
  }
  return out;
}

test('a manifest beside the app may not point push at a host directory outside the app', async () => {
  const root = await mkdtemp('/var/tmp/dropship-review-path-');
  try {
    const secret = join(root, 'secret');
    await mkdir(secret, { mode: 0o700 });
    await writeFile(join(secret, 'id_rsa'), 'PRIVATE KEY', { mode: 0o600 });
    const app = join(root, 'app');
    await mkdir(join(app, 'inner'), { recursive: true });
    await writeFile(join(app, 'index.html'), 'hello');
    await symlink(secret, join(app, 'inner', 'link'));
    const home = join(root, 'home');
    await mkdir(home);
    for (const value of [secret, '../secret', 'inner/link', 'inner/../../secret']) {
      await writeFile(join(app, 'manifest.yml'), `applications:\n- name: shop\n  path: ${value}\n`);
      const before = await snapshot(root);
      const result = await execa(process.execPath, ['--import', TSX, MAIN, 'push', '--no-start', '-s', 'tiny'], {
        cwd: app, reject: false, env: { ...process.env, DROPSHIP_HOME: home },
      });
      assert.is.not(result.exitCode, 0, value);
      assert.match(String(result.stderr), `error: ${join(app, 'manifest.yml')}:2: applications[0] (shop).path: '${resolve(app, value)}' leads outside ${app} (to ${secret})`);
      assert.match(String(result.stderr), /^hint: .*dropship push /m);
      assert.equal(await snapshot(root), before, `push with path: ${value} wrote something`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('inside the app a manifest path still works; an operator -f manifest may point anywhere', async () => {
  const root = await mkdtemp('/var/tmp/dropship-review-path-');
  try {
    const app = join(root, 'app');
    await mkdir(join(app, 'web'), { recursive: true });
    const other = join(root, 'other');
    await mkdir(other);
    await writeFile(join(app, 'manifest.yml'), 'applications:\n- name: shop\n  path: web\n');
    const found = await readManifest(join(app, 'manifest.yml'));
    assert.is(planPush({}, found, app)[0]!.path, join(app, 'web'));
    await writeFile(join(root, 'ops.yml'), `applications:\n- name: shop\n  path: ${other}\n`);
    const given = await readManifest(join(root, 'ops.yml'));
    assert.is(planPush({ manifest: join(root, 'ops.yml') }, given, app)[0]!.path, other);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a manifest path swapped for a link out of the app after the push was planned is not read: neither staged nor kept', async () => {
  // The window is real: the path is judged when the push is planned, the app is copied when
  // staging starts, and its source is archived for restage once the instances run (minutes later).
  // Whoever owns the app directory can swap `web` for a symlink in between. Failed before this
  // change: both the staging copy and the kept source held the secret.
  const root = await mkdtemp('/var/tmp/dropship-review-path-');
  const saved = process.env.DROPSHIP_HOME;
  process.env.DROPSHIP_HOME = join(root, 'home');
  try {
    const secret = join(root, 'secret');
    await mkdir(secret, { mode: 0o700 });
    await writeFile(join(secret, 'id_rsa'), 'PRIVATE KEY', { mode: 0o600 });
    const app = join(root, 'app');
    await mkdir(join(app, 'web'), { recursive: true });
    await writeFile(join(app, 'web', 'index.html'), 'hello');
    await writeFile(join(app, 'manifest.yml'), 'applications:\n- name: shop\n  path: web\n');
    const [plan] = planPush({}, await readManifest(join(app, 'manifest.yml')), app);
    assert.is(plan!.path, join(app, 'web'));
    assert.ok(plan!.pathWithin, 'a path from the manifest beside the app carries where it must stay');

    // The honest directory still copies and is kept.
    const owner = { uid: process.getuid!(), gid: process.getgid!() };
    await copyAppSource(plan!.path, join(root, 'copy-before'), owner, plan!.pathWithin);
    assert.is(await readFile(join(root, 'copy-before', 'index.html'), 'utf8'), 'hello');

    await rename(join(app, 'web'), join(app, 'web.old'));
    await symlink(secret, join(app, 'web'));
    const copied = join(root, 'copy-after');
    const error = (await rejects(() => copyAppSource(plan!.path, copied, owner, plan!.pathWithin), /leads outside/)) as DropshipError;
    assert.is(error.code, 'PATH_OUTSIDE_APP');
    assert.match(error.message, `(to ${secret})`);
    assert.is(await lstat(copied).catch(() => undefined), undefined, 'nothing was copied');

    await rejects(() => keepSource('shop', plan!.path, { release: 1, stack: 'tiny', buildpacks: [] }, plan!.pathWithin), /leads outside/);
    const kept = await readdir(join(root, 'home', 'apps', 'shop', 'sources')).catch(() => [] as string[]);
    assert.equal(kept.filter((name) => name.endsWith('.tar')), [], 'no source archive was kept');
  } finally {
    if (saved === undefined) delete process.env.DROPSHIP_HOME;
    else process.env.DROPSHIP_HOME = saved;
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
