import { lstat, mkdir, mkdtemp, readFile, readlink, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkAppDir, copyAppSource } from '../../../src/staging/source.js';
import { readConfined } from '../../../src/staging/confined.js';
import { rejects } from '../../helpers/assert.js';

const owner = { uid: process.getuid!(), gid: process.getgid!() };
const fixture = new URL('../../../fixtures/apps/', import.meta.url).pathname;

async function list(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = prefix + entry.name;
    out.push(entry.isDirectory() ? `${rel}/` : rel);
    if (entry.isDirectory()) out.push(...(await list(join(dir, entry.name), `${rel}/`)));
  }
  return out;
}

test('honours .cfignore (gitignore syntax) and the default ignores', async () => {
  const dest = await mkdtemp(join(tmpdir(), 'dropship-src-'));
  try {
    const result = await copyAppSource(join(fixture, 'static-site'), join(dest, 'app'), owner);
    assert.equal(await list(join(dest, 'app')), ['Staticfile', 'public/', 'public/index.html', 'public/style.css']);
    assert.is(result.files, 3);
  } finally {
    await rm(dest, { recursive: true, force: true });
  }
});

test('symlinks are copied as symlinks, never followed', async () => {
  const dest = await mkdtemp(join(tmpdir(), 'dropship-src-'));
  try {
    await copyAppSource(join(fixture, 'symlink-app'), join(dest, 'app'), owner);
    const link = await lstat(join(dest, 'app', 'host-shadow'));
    assert.ok(link.isSymbolicLink());
    assert.is(await readlink(join(dest, 'app', 'host-shadow')), '/etc/shadow');
    assert.is(await readlink(join(dest, 'app', 'home.html')), 'index.html');
  } finally {
    await rm(dest, { recursive: true, force: true });
  }
});

test('an empty app directory, a missing one and a file are clear errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-src-'));
  try {
    await mkdir(join(dir, 'empty'));
    await writeFile(join(dir, 'empty', '.cfignore'), '*\n');
    await rejects(() => copyAppSource(join(dir, 'empty'), join(dir, 'out'), owner), /has no files to stage/);
    await rejects(() => checkAppDir(join(dir, 'missing')), /app directory .*missing does not exist/);
    await writeFile(join(dir, 'file'), 'x');
    await rejects(() => checkAppDir(join(dir, 'file')), /is not a directory/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('readConfined refuses a file that points out of its root', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-conf-'));
  try {
    await mkdir(join(dir, 'app'));
    await writeFile(join(dir, 'secret'), 'host secret');
    await writeFile(join(dir, 'app', 'real'), 'web: ok\n');
    await symlink('../secret', join(dir, 'app', 'Procfile'));
    await symlink('real', join(dir, 'app', 'Inner'));
    await rejects(() => readConfined(join(dir, 'app'), 'Procfile'), /Procfile points outside the app directory/);
    assert.is(await readConfined(join(dir, 'app'), 'Inner'), 'web: ok\n');
    assert.is(await readConfined(join(dir, 'app'), 'absent'), undefined);
    assert.is(await readFile(join(dir, 'secret'), 'utf8'), 'host secret');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
