import '../../helpers/env.js';
import { cp, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isRoot, TEST_HOME, uniqueName } from '../../helpers/env.js';
import { dropship, FIXTURES, get, pushJson, removePushed, type PushJson } from './helpers.js';

const name = uniqueName('am-restage');
let dir = '';

test.after(async () => {
  await removePushed(name);
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('restage stages the kept source again after the directory is gone: a new release, same content; the source is kept 0600 without following links', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  dir = await mkdtemp(join(tmpdir(), 'dropship-restage-src-'));
  await cp(join(FIXTURES, 'static-site'), dir, { recursive: true });
  await symlink('/etc/shadow', join(dir, 'shadow-link'));
  const pushed = (await pushJson('-p', dir, '--name', name, '-s', 'tiny', '-m', '64M')) as PushJson;
  assert.is(pushed.state, 'running');
  await rm(dir, { recursive: true, force: true });

  const sources = join(TEST_HOME, 'apps', name, 'sources');
  assert.is((await stat(sources)).mode & 0o777, 0o700);
  const tars = (await readdir(sources)).filter((f) => f.endsWith('.tar'));
  assert.is(tars.length, 1);
  assert.is((await stat(join(sources, tars[0]!))).mode & 0o777, 0o600);
  const listing = String((await execa('tar', ['-tvf', join(sources, tars[0]!)])).stdout);
  assert.match(listing, /^l.* \.\/shadow-link -> \/etc\/shadow$/m, 'the link is kept as a link, not the file it names');

  const restaged = await dropship('restage', name, '--json');
  assert.is(restaged.exitCode, 0, restaged.stderr);
  const summary = JSON.parse(restaged.stdout) as PushJson;
  assert.is(summary.state, 'running');
  assert.is(summary.url, pushed.url, 'the app keeps its host port');
  assert.match(await get(`${summary.url}/`), 'Hello from a static site');
  const releases = JSON.parse((await dropship('releases', name, '--json')).stdout) as Array<{ version: number; current: boolean }>;
  assert.equal(releases.map((r) => [r.version, r.current]), [[1, false], [2, true]]);
});

test('restage of an app that was never pushed says so', async () => {
  const result = await dropship('restage', uniqueName('am-none'));
  assert.is(result.exitCode, 1);
  assert.match(result.stderr, 'error:');
});

test.run();
