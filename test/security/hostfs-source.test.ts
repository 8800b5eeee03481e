// Issue 10 item 10: dropship copies an app's source as root. A local user who owns the app directory
// swaps a file (or a directory) for a symlink to a root-only file between dropship's look and its
// copy. Whatever lands in the build dir must be what was opened without following a link: the
// secret never appears. Failed on the code before this change: the secret was copied within a few
// dozen copies (copyFile follows the link it is given).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyAppSource } from '../../src/staging/source.js';
import { skipUnlessRoot } from '../helpers/assert.js';
import { withLocalUser } from './hostfs-helpers.js';

const owner = { uid: 2000, gid: 2000 };

/** Every regular file's content under `dir`, links not followed. */
async function contents(dir: string): Promise<string> {
  let all = '';
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) all += await contents(path);
    else if (entry.isFile()) all += await readFile(path, 'utf8');
  }
  return all;
}

async function secretFiles(root: string, secret: string): Promise<{ file: string; dir: string }> {
  const dir = join(root, 'secret');
  await mkdir(join(dir, 'inner'), { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'shadow'), secret, { mode: 0o600 });
  await writeFile(join(dir, 'inner', 'file'), secret, { mode: 0o600 });
  await chmod(dir, 0o700);
  return { file: join(dir, 'shadow'), dir: join(dir, 'inner') };
}

test('a symlink to a root-only file is copied as that link; the file is not read', async () => {
  if (skipUnlessRoot('the copy runs as root')) return;
  const root = await mkdtemp('/tmp/dropship-hostfs-src-');
  try {
    const secret = `SECRET-${randomBytes(8).toString('hex')}`;
    const { file, dir } = await secretFiles(root, secret);
    const app = join(root, 'app');
    await mkdir(app);
    await writeFile(join(app, 'index.html'), 'public');
    await symlink(file, join(app, 'data'));
    await symlink(dir, join(app, 'sub'));
    await copyAppSource(app, join(root, 'out'), owner);
    assert.is(await readlink(join(root, 'out', 'data')), file);
    assert.ok((await lstat(join(root, 'out', 'sub'))).isSymbolicLink());
    assert.not.match(await contents(join(root, 'out')), secret);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a local user swapping files and directories for links while dropship copies: the secret never lands', async () => {
  if (skipUnlessRoot('useradd, and the copy runs as root')) return;
  const root = await mkdtemp('/tmp/dropship-hostfs-race-');
  await chmod(root, 0o755);
  try {
    const secret = `SECRET-${randomBytes(8).toString('hex')}`;
    const { file, dir } = await secretFiles(root, secret);
    const app = join(root, 'app');
    await mkdir(join(app, 'sub'), { recursive: true });
    await writeFile(join(app, 'index.html'), 'public');
    await writeFile(join(app, 'data'), 'public');
    await writeFile(join(app, 'sub', 'file'), 'public');
    // The swapper's spare names are ignored, so only `data` and `sub` are ever copied.
    await writeFile(join(app, '.cfignore'), 'tmp-*\nsub-*\n');
    await withLocalUser(async (user) => {
      for (const path of [app, join(app, 'sub'), join(app, 'data'), join(app, 'sub', 'file'), join(app, 'index.html'), join(app, '.cfignore')]) {
        await chown(path, user.uid, 100);
      }
      // The attacker, as the local user: `data` flips between a file and a link to the secret file,
      // `sub` between a directory and a link to a secret directory, as fast as rename(2) allows.
      const swapper = spawn('setpriv', [`--reuid=${user.uid}`, '--regid=100', '--clear-groups', process.execPath, '-e', `
        const fs = require('fs'); process.chdir(${JSON.stringify(app)});
        for (;;) {
          try { fs.symlinkSync(${JSON.stringify(file)}, 'tmp-l'); fs.renameSync('tmp-l', 'data'); } catch {}
          try { fs.writeFileSync('tmp-f', 'public'); fs.renameSync('tmp-f', 'data'); } catch {}
          try { fs.renameSync('sub', 'sub-away'); fs.symlinkSync(${JSON.stringify(dir)}, 'sub'); } catch {}
          try { fs.unlinkSync('sub'); fs.renameSync('sub-away', 'sub'); } catch {}
        }`], { stdio: 'ignore' });
      let copied = 0;
      let leaked = 0;
      try {
        for (let i = 0; i < 400; i++) {
          const out = join(root, `out-${i}`);
          const ok = await copyAppSource(app, out, owner).then(() => true, () => false);
          if (ok) copied++;
          if ((await contents(out).catch(() => '')).includes(secret)) leaked++;
          await rm(out, { recursive: true, force: true });
        }
      } finally {
        swapper.kill('SIGKILL');
        await new Promise((resolve) => swapper.once('exit', resolve));
      }
      assert.ok(copied > 0, 'some copies completed while the swapper ran');
      assert.is(leaked, 0, `the root-only secret landed in ${leaked} of 400 copies`);
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
