import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { drain } from '../../helpers/assert.js';
import { BlobStore } from '../../../src/oci/cas.js';
import { writeDropletLayer } from '../../../src/oci/droplet-layer.js';
import { parseImageName } from '../../../src/oci/image.js';
import { launcherScript } from '../../../src/oci/launcher.js';

let dir: string;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dropship-image-unit-'));
});

test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Entry = Partial<tar.Header> & { name: string; body?: string };

async function tgz(name: string, entries: Entry[]): Promise<string> {
  const path = join(dir, name);
  const pack = tar.pack();
  const writing = pipeline(pack, createGzip(), createWriteStream(path));
  for (const { body, ...header } of entries) {
    if (body === undefined) pack.entry(header);
    else pack.entry(header, body);
  }
  pack.finalize();
  await writing;
  return path;
}

async function listTar(path: string): Promise<Array<tar.Header & { body: string }>> {
  const extract = tar.extract();
  const entries = extract[Symbol.asyncIterator]();
  const feeding = pipeline(createReadStream(path), extract);
  const out = [];
  for (let next = await entries.next(); !next.done; next = await entries.next()) {
    out.push({ ...next.value.header, body: (await drain(next.value)).toString('utf8') });
  }
  await feeding;
  return out;
}

test('parseImageName defaults the tag and names what is wrong', () => {
  assert.equal(parseImageName('myapp'), { name: 'myapp', tag: 'latest', ref: 'myapp:latest' });
  assert.equal(parseImageName('team/my-app:v1.2'), { name: 'team/my-app', tag: 'v1.2', ref: 'team/my-app:v1.2' });
  assert.throws(() => parseImageName('MyApp'), (e: DropshipError) => e.message === "image name: 'MyApp' is not a valid image name");
  assert.throws(() => parseImageName('app:-x', '--tag'), (e: DropshipError) => e.message === "--tag: '-x' is not a valid tag");
});

const droplet: Entry[] = [
  { name: './', type: 'directory', mode: 0o755 },
  { name: './app/', type: 'directory', mode: 0o750, uid: 1000, gid: 1000, uname: 'builder' },
  { name: './app/run.sh', type: 'file', mode: 0o4755, body: 'echo hi\n', mtime: new Date() },
  { name: './app/link', type: 'symlink', linkname: 'run.sh' },
  { name: './app/hard', type: 'link', linkname: './app/run.sh' },
  { name: './deps/', type: 'directory' },
  { name: './dev-null', type: 'character-device', devmajor: 1, devminor: 3 },
  { name: './staging_info.yml', type: 'file', body: '{"detected_buildpack":"bp","start_command":"./run.sh"}' },
];

test('the droplet becomes one layer at /home/vcap owned by vcap, plus the launcher', async () => {
  const store = new BlobStore(join(dir, 'store'));
  const layer = await writeDropletLayer(await tgz('d1.tgz', droplet), store, { mtime: 315532801 });
  assert.is(layer.diffId, layer.descriptor.digest);
  assert.equal(layer.stagingInfo, { detected_buildpack: 'bp', start_command: './run.sh' });
  assert.equal(layer.skipped, ['./dev-null (character-device)']);
  const entries = await listTar(store.path(layer.diffId));
  assert.equal(entries.map((e) => e.name), [
    'home/', 'home/vcap/', 'home/vcap/app/', 'home/vcap/app/run.sh', 'home/vcap/app/link', 'home/vcap/app/hard', 'home/vcap/deps/',
    'home/vcap/logs/', 'home/vcap/profile.d/', 'home/vcap/staging_info.yml', 'home/vcap/tmp/', 'lifecycle/', 'lifecycle/launcher',
  ]);
  const byName = Object.fromEntries(entries.map((e) => [e.name, e]));
  for (const e of entries.filter((x) => x.name.startsWith('home/vcap/'))) {
    assert.is(e.uid, 2000, e.name);
    assert.is(e.gid, 2000, e.name);
    assert.is(e.uname, '', e.name);
    assert.is(e.mtime!.getTime(), 315532801_000, e.name);
  }
  assert.is(byName['home/']!.uid, 0);
  assert.is(byName['home/vcap/app/run.sh']!.mode, 0o755, 'setuid dropped');
  assert.is(byName['home/vcap/app/link']!.linkname, 'run.sh');
  assert.is(byName['home/vcap/app/hard']!.linkname, 'home/vcap/app/run.sh');
  assert.is(byName['lifecycle/launcher']!.body, launcherScript());
  assert.is(byName['lifecycle/launcher']!.mode, 0o755);
});

test('the same droplet gives the same diff_id; a different epoch does not', async () => {
  const store = new BlobStore(join(dir, 'store2'));
  const path = await tgz('d2.tgz', droplet);
  const first = await writeDropletLayer(path, store, { mtime: 315532801 });
  const again = await writeDropletLayer(await tgz('d3.tgz', droplet), store, { mtime: 315532801 });
  assert.is(again.diffId, first.diffId);
  const later = await writeDropletLayer(path, store, { mtime: 1_700_000_000 });
  assert.is.not(later.diffId, first.diffId);
});

test('an entry climbing out with .. is refused by name, and nothing is stored', async () => {
  const store = new BlobStore(join(dir, 'store3'));
  const path = await tgz('evil.tgz', [{ name: './app/', type: 'directory' }, { name: './app/../../etc/passwd', type: 'file', body: 'x' }]);
  try {
    await writeDropletLayer(path, store);
    assert.unreachable('should refuse');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as Error).message, "droplet entry './app/../../etc/passwd' climbs out of the droplet with '..'");
  }
  assert.equal(await store.list(), []);
});

test('a file that is not a gzip tar is a clear error', async () => {
  const store = new BlobStore(join(dir, 'store4'));
  try {
    await writeDropletLayer(join(dir, 'missing.tgz'), store);
    assert.unreachable('should fail');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.match((error as Error).message, /^cannot read droplet .*missing\.tgz/);
  }
});

test.run();
