import { uniqueName } from '../../helpers/env.js';
import { readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { homePaths } from '../../../src/home.js';
import { buildImage, exportImage, importImage, inspectImage, removeImage, openStore } from '../../../src/oci/index.js';
import { ensureStack } from '../../../src/stack/index.js';
import { makeDroplet, tempDir } from './image-fixtures.js';

const name = uniqueName('h4-build');
const START = `echo "launched: $GREETING $FROM_DEPS $HOME" 'two  spaces' "$VCAP_APPLICATION"`;
let dir: string;
let droplet: string;

test.before(async () => {
  dir = await tempDir('image-build');
  droplet = await makeDroplet(join(dir, 'droplet.tgz'), { startCommand: START });
});

test.after(async () => {
  for (const tag of ['v1', 'v2', 'other-epoch', 'imported', 'para-x', 'para-y']) await removeImage(`${name}:${tag}`).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

test('the same droplet on the same stack build gives the same manifest digest', async () => {
  const stack = await ensureStack('tiny');
  const first = await buildImage({ droplet, stack, tag: `${name}:v1` });
  const second = await buildImage({ droplet, stack, tag: `${name}:v2` });
  assert.is(second.digest, first.digest);
  assert.is(first.layers[0]!.diffId, stack.diffId, 'the stack layer is reused by digest');
  const later = await buildImage({ droplet, stack, tag: `${name}:other-epoch`, sourceDateEpoch: 1_700_000_000 });
  assert.is.not(later.digest, first.digest, 'SOURCE_DATE_EPOCH is part of the input');
});

test('the config runs the web command through the launcher as vcap', async () => {
  const stack = await ensureStack('tiny');
  const image = await inspectImage(`${name}:v1`);
  const c = image.config.config;
  assert.is(c.User, '2000:2000');
  assert.equal(c.Entrypoint, ['/lifecycle/launcher']);
  assert.equal(c.Cmd, [START]);
  assert.is(c.WorkingDir, '/home/vcap/app');
  assert.equal(c.ExposedPorts, { '8080/tcp': {} });
  assert.ok(c.Env?.includes('HOME=/home/vcap/app'));
  assert.is(c.Labels?.['io.dropship.stack'], 'tiny');
  assert.is(c.Labels?.['io.dropship.stack.digest'], stack.diffId);
  assert.is(c.Labels?.['io.dropship.buildpack.detected'], 'test-buildpack');
  assert.equal(JSON.parse(c.Labels!['io.dropship.process-types']!), { web: START });
  assert.is(image.config.created, '1980-01-01T00:00:01.000Z');
  assert.is(image.config.history?.length, 2);
  assert.is(image.layers.length, 2);
  assert.is(image.layers[1]!.digest, image.layers[1]!.diffId, 'the store keeps layers uncompressed');
});

test('skopeo and umoci read the exported layout, and plain runc runs the launcher', async () => {
  const layout = join(dir, 'layout');
  const exported = await exportImage(`${name}:v1`, { ociLayout: layout });
  assert.is(exported.ref, 'v1');
  const inspected = JSON.parse((await execa('skopeo', ['inspect', `oci:${layout}:v1`])).stdout) as { Digest: string; Layers: string[]; Labels: Record<string, string> };
  assert.is(inspected.Digest, exported.digest);
  assert.is(inspected.Layers.length, 2);
  assert.is(inspected.Labels['io.dropship.stack'], 'tiny');

  const bundle = join(dir, 'bundle');
  await execa('umoci', ['unpack', '--image', `${layout}:v1`, bundle]);
  const app = await stat(join(bundle, 'rootfs/home/vcap/app/index.txt'));
  assert.is(app.uid, 2000);
  assert.is((await stat(join(bundle, 'rootfs/lifecycle/launcher'))).mode & 0o777, 0o755);

  const configPath = join(bundle, 'config.json');
  const spec = JSON.parse(await readFile(configPath, 'utf8')) as { process: { terminal: boolean; args: string[]; user: { uid: number } } };
  assert.equal(spec.process.args, ['/lifecycle/launcher', START]);
  assert.is(spec.process.user.uid, 2000);
  spec.process.terminal = false;
  await writeFile(configPath, JSON.stringify(spec));
  await chmod(bundle, 0o711);
  const id = uniqueName('h4-runc');
  try {
    const run = await execa('runc', ['run', '--bundle', bundle, id], { reject: false, timeout: 30_000 });
    assert.is(run.exitCode, 0, run.stderr);
    assert.ok(run.stdout.includes('launched: hello from .profile.d yes /home/vcap/app two  spaces'), run.stdout);
    assert.ok(run.stdout.includes('"port":8080') && run.stdout.includes('"instance_index":0'), run.stdout);
  } finally {
    await execa('runc', ['delete', '--force', id], { reject: false });
  }
});

test('an OCI archive round trip keeps the digest', async () => {
  const archive = join(dir, 'image.tar');
  const exported = await exportImage(`${name}:v1`, { ociArchive: archive });
  const [imported] = await importImage(archive, { tag: `${name}:imported` });
  assert.is(imported!.digest, exported.digest);
  const image = await inspectImage(`${name}:imported`);
  assert.equal(image.layers.map((l) => l.diffId), (await inspectImage(`${name}:v1`)).layers.map((l) => l.diffId));
  const inspected = JSON.parse((await execa('skopeo', ['inspect', `oci-archive:${archive}:v1`])).stdout) as { Digest: string };
  assert.is(inspected.Digest, exported.digest);
});

test('a layout written by skopeo imports under its ref name, and two builds at once both land', async () => {
  const ours = join(dir, 'ours');
  await exportImage(`${name}:v1`, { ociLayout: ours });
  const theirs = join(dir, `${name}-skopeo`);
  await execa('skopeo', ['copy', '--quiet', `oci:${ours}:v1`, `oci:${theirs}:copied`]);
  const [imported] = await importImage(theirs);
  assert.is(imported!.name, `${name}-skopeo`);
  assert.is(imported!.tag, 'copied');
  assert.equal((await inspectImage(`${name}-skopeo:copied`)).config.config.Cmd, [START]);
  await removeImage(`${name}-skopeo:copied`);

  const stack = await ensureStack('tiny');
  const [x, y] = await Promise.all([
    buildImage({ droplet, stack, tag: `${name}:para-x` }),
    buildImage({ droplet, stack, tag: `${name}:para-y` }),
  ]);
  assert.is(x.digest, y.digest);
  assert.is((await inspectImage(`${name}:para-x`)).digest, x.digest);
  assert.is((await inspectImage(`${name}:para-y`)).digest, y.digest);
});

test('a tampered blob is refused with the blob named', async () => {
  const layout = join(dir, 'tampered');
  const exported = await exportImage(`${name}:v1`, { ociLayout: layout });
  const layer = exported.layers[1]!;
  const path = join(layout, 'blobs/sha256', layer.digest.slice(7));
  const bytes = await readFile(path);
  bytes[bytes.length - 1] ^= 0xff;
  await writeFile(path, bytes);
  const store = openStore(homePaths(join(dir, 'fresh-home')));
  try {
    await importImage(layout, { tag: `${name}:tampered`, store });
    assert.unreachable('import should fail');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.ok((error as DropshipError).message.includes(layer.digest), (error as Error).message);
    assert.match((error as Error).message, /corrupt|hashes to/);
  }
  assert.not.ok(await store.blobs.has(layer.digest), 'nothing unverified is kept');
  assert.is((await store.layout.refs()).length, 0);
});

test.run();
