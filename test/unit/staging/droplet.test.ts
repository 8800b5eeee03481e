import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeDroplet } from '../../../src/staging/droplet.js';

async function tree(root: string, mtime: number): Promise<void> {
  for (const dir of ['app', 'deps/0', 'profile.d', 'tmp', 'logs']) await mkdir(join(root, dir), { recursive: true });
  await writeFile(join(root, 'app', 'index.html'), '<h1>hi</h1>\n');
  await writeFile(join(root, 'staging_info.yml'), '{"detected_buildpack":"x","start_command":"y"}\n');
  await symlink('/etc/shadow', join(root, 'app', 'link'));
  await utimes(join(root, 'app', 'index.html'), mtime, mtime);
}

test('same tree, different mtimes: same droplet digest; entries owned by vcap, sorted, links kept', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-droplet-'));
  try {
    await tree(join(dir, 'a'), 1_000_000);
    await tree(join(dir, 'b'), 2_000_000);
    const one = await writeDroplet(join(dir, 'a'), join(dir, 'out', 'one.tgz'));
    const two = await writeDroplet(join(dir, 'b'), join(dir, 'out', 'two.tgz'));
    assert.is(one.digest, two.digest);
    assert.ok(one.bytes > 0);
    const listing = execFileSync('tar', ['-tvzf', one.path, '--numeric-owner'], { encoding: 'utf8' }).trim().split('\n');
    const names = listing.map((l) => l.split(/\s+/).slice(5).join(' '));
    assert.equal(names, ['app/', 'app/index.html', 'app/link -> /etc/shadow', 'deps/', 'deps/0/', 'logs/', 'profile.d/', 'staging_info.yml', 'tmp/']);
    assert.ok(listing.every((l) => l.split(/\s+/)[1] === '2000/2000'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('store compression writes the same entries as a larger, still reproducible .tgz', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-droplet-'));
  try {
    await tree(join(dir, 'a'), 1_000_000);
    await writeFile(join(dir, 'a', 'app', 'big.txt'), 'compressible '.repeat(10_000));
    const fast = await writeDroplet(join(dir, 'a'), join(dir, 'out', 'fast.tgz'));
    const stored = await writeDroplet(join(dir, 'a'), join(dir, 'out', 'stored.tgz'), { compression: 'store' });
    const again = await writeDroplet(join(dir, 'a'), join(dir, 'out', 'again.tgz'), { compression: 'store' });
    assert.is(again.digest, stored.digest);
    assert.is.not(stored.digest, fast.digest);
    assert.ok(stored.bytes > fast.bytes * 5, `stored ${stored.bytes} bytes, fast ${fast.bytes}`);
    const list = (path: string) => execFileSync('tar', ['-tzf', path], { encoding: 'utf8' });
    assert.is(list(stored.path), list(fast.path));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
