import { uniqueName } from '../../helpers/env.js';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { homePaths } from '../../../src/home.js';
import { buildImage, inspectImage, openStore, pullImage, pushImage, removeImage } from '../../../src/oci/index.js';
import { ensureStack } from '../../../src/stack/index.js';
import { makeDroplet, startRegistry, tempDir, type TestRegistry } from './image-fixtures.js';

const name = uniqueName('h4-reg');
let dir: string;
let registry: TestRegistry;
let pushedDigest: string;

test.before(async () => {
  dir = await tempDir('registry-test');
  registry = await startRegistry();
  const stack = await ensureStack('tiny');
  await buildImage({ droplet: await makeDroplet(join(dir, 'small.tgz'), { startCommand: 'echo small' }), stack, tag: `${name}:small` });
  await buildImage({ droplet: await makeDroplet(join(dir, 'big.tgz'), { startCommand: 'echo big', bigBytes: 3 * 1024 * 1024 }), stack, tag: `${name}:big` });
});

test.after(async () => {
  for (const tag of ['small', 'big']) await removeImage(`${name}:${tag}`).catch(() => undefined);
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

const freshStore = (label: string) => openStore(homePaths(join(dir, `home-${label}`)));

test('push, then pull into a fresh store: same diff_ids, and the registry digest is kept', async () => {
  const pushed = await pushImage(`${name}:small`, `${registry.host}/h4/app:v1`, { insecure: true });
  pushedDigest = pushed.digest;
  assert.ok(pushed.blobs.every((b) => b.outcome === 'uploaded'));
  const store = freshStore('pull');
  const pulled = await pullImage(`${registry.host}/h4/app:v1`, { insecure: true, store, tag: 'app:v1' });
  assert.is(pulled.digest, pushed.digest);
  const local = await inspectImage('app:v1', store);
  assert.is(local.digest, pushed.digest);
  assert.is(local.source, `${registry.host}/h4/app@${pushed.digest}`);
  assert.equal(local.layers.map((l) => l.diffId), (await inspectImage(`${name}:small`)).layers.map((l) => l.diffId));
  const byDigest = await pullImage(`${registry.host}/h4/app@${pushed.digest}`, { insecure: true, store, tag: 'pinned' });
  assert.is(byDigest.digest, pushed.digest);
  assert.is(byDigest.stats.requests.GET, 2, 'every blob was already in the store: only the ping and the manifest');
});

test('a second push uploads no blobs', async () => {
  const again = await pushImage(`${name}:small`, `${registry.host}/h4/app:v1`, { insecure: true });
  assert.is(again.digest, pushedDigest);
  assert.is(again.stats.blobsUploaded, 0);
  assert.is(again.stats.requests.PATCH, undefined);
  assert.is(again.stats.requests.POST, undefined);
  assert.is(again.stats.requests.PUT, 1, 'only the manifest');
});

test('a push to another repository of the registry mounts the blobs', async () => {
  const other = await pushImage(`${name}:small`, `${registry.host}/h4/copy:v1`, { insecure: true });
  assert.ok(other.blobs.every((b) => b.outcome === 'mounted'), JSON.stringify(other.blobs));
  assert.is(other.stats.bytesUploaded, 0);
});

/**
 * A TCP proxy in front of the registry that cuts the client's connection as the request matching
 * `drop` (by its first bytes) arrives, once: the registry never sees that request.
 */
async function droppingProxy(target: string, drop: (count: number, head: string) => boolean): Promise<{ host: string; dropped: () => boolean; close: () => Promise<void> }> {
  const [targetHost, targetPort] = target.split(':');
  let patches = 0;
  let dropped = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(targetPort), targetHost!);
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      const head = chunk.subarray(0, 8).toString('latin1');
      if (head.startsWith('PATCH ')) patches++;
      if (!dropped && drop(patches, head)) {
        dropped = true;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    dropped: () => dropped,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test('a large blob goes up in chunks and resumes from the Range after a dropped connection', async () => {
  const proxy = await droppingProxy(registry.host, (patches, head) => patches === 3 && head.startsWith('PATCH '));
  try {
    const pushed = await pushImage(`${name}:big`, `${proxy.host}/h4/big:v1`, {
      insecure: true,
      client: { monolithicLimit: 256 * 1024, chunkSize: 512 * 1024, retryDelayMs: 10 },
    });
    assert.ok(proxy.dropped(), 'the proxy cut a connection');
    assert.is(pushed.stats.resumes, 1, JSON.stringify(pushed.stats));
    assert.is(pushed.stats.restarts, 0, JSON.stringify(pushed.stats));
    assert.ok((pushed.stats.requests.PATCH ?? 0) > 3, JSON.stringify(pushed.stats));
    const pulled = await pullImage(`${registry.host}/h4/big:v1`, { insecure: true, store: freshStore('big'), tag: 'big:v1' });
    assert.is(pulled.digest, pushed.digest, 'the registry verified and kept every byte');
  } finally {
    await proxy.close();
  }
});

test('a blob changed in the registry is refused on pull, naming the blob', async () => {
  const pushed = await pushImage(`${name}:small`, `${registry.host}/h4/tamper:v1`, { insecure: true });
  const layer = (await inspectImage(`${name}:small`)).layers[1]!;
  const gz = pushed.blobs.find((b) => b.digest !== layer.digest && b.size > 1000 && b.size < 100_000) ?? pushed.blobs[pushed.blobs.length - 1]!;
  const data = join(registry.dataDir, 'docker/registry/v2/blobs/sha256', gz.digest.slice(7, 9), gz.digest.slice(7), 'data');
  const bytes = await readFile(data);
  bytes[bytes.length - 10] ^= 0xff;
  await writeFile(data, bytes);
  const store = freshStore('tamper');
  try {
    await pullImage(`${registry.host}/h4/tamper:v1`, { insecure: true, store, client: { retryDelayMs: 10 } });
    assert.unreachable('pull should fail');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.ok((error as Error).message.includes(gz.digest), (error as Error).message);
  }
  assert.not.ok(await store.blobs.has(gz.digest as `sha256:${string}`));
  assert.is((await store.layout.refs()).length, 0);
});

test('a missing image is a clear 404', async () => {
  try {
    await pullImage(`${registry.host}/h4/nothing:v9`, { insecure: true, store: freshStore('missing') });
    assert.unreachable('pull should fail');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as DropshipError).code, 'REGISTRY_NOT_FOUND');
    assert.match((error as Error).message, /h4\/nothing.*manifest v9.*404/);
  }
});

test.run();
