import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { parseChallenge } from '../../../src/oci/registry/auth.js';
import { RegistryClient } from '../../../src/oci/registry/client.js';
import { loadCredentials, removeCredentials, saveCredentials } from '../../../src/oci/registry/credentials.js';
import { parseRegistryReference } from '../../../src/oci/registry/reference.js';

test('registry references: tag, digest, default tag, and clear errors', () => {
  assert.equal(parseRegistryReference('127.0.0.1:5000/team/app:v1'), { registry: '127.0.0.1:5000', repository: 'team/app', tag: 'v1', digest: undefined });
  assert.equal(parseRegistryReference('reg.example/app'), { registry: 'reg.example', repository: 'app', tag: 'latest', digest: undefined });
  const digest = `sha256:${'a'.repeat(64)}`;
  assert.equal(parseRegistryReference(`reg:5000/app@${digest}`), { registry: 'reg:5000', repository: 'app', tag: undefined, digest });
  assert.throws(() => parseRegistryReference('app:v1'), (e: DropshipError) => e.message === "'app:v1' is not a registry reference: it has no registry host");
  assert.throws(() => parseRegistryReference('reg/App'), /not a valid repository name/);
  assert.throws(() => parseRegistryReference('reg/app@sha256:12'), /is not a sha256 digest/);
});

test('WWW-Authenticate challenges', () => {
  assert.equal(parseChallenge('Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull,push"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.example/token', service: 'registry', scope: 'repository:a/b:pull,push' },
  });
  assert.equal(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
});

test('credentials are kept in a 0600 file and can be removed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-cred-'));
  try {
    const path = join(dir, 'auth.json');
    await saveCredentials('reg:5000', { username: 'me', password: 's3cret:with:colons' }, path);
    assert.is((await stat(path)).mode & 0o777, 0o600);
    assert.equal(await loadCredentials('reg:5000', path), { username: 'me', password: 's3cret:with:colons' });
    assert.not.ok((await readFile(path, 'utf8')).includes('s3cret'), 'not stored in clear text');
    assert.is(await loadCredentials('other', path), undefined);
    assert.ok(await removeCredentials('reg:5000', path));
    assert.is(await loadCredentials('reg:5000', path), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** A small stand-in registry with a token service: enough to drive the client's auth and retry paths. */
let server: Server;
let host: string;
const seen: string[] = [];
let flaky = 0;
const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] }));
const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;

test.before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, `http://${req.headers.host}`);
    seen.push(`${req.method} ${url.pathname}${url.search} ${req.headers.authorization ?? ''}`);
    if (url.pathname === '/token') {
      const ok = req.headers.authorization === `Basic ${Buffer.from('me:right').toString('base64')}`;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(ok ? JSON.stringify({ token: `tok-${url.searchParams.getAll('scope').join('+')}` }) : '{}');
      return;
    }
    if (!req.headers.authorization?.startsWith('Bearer tok-')) {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="test"`, 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    if (url.pathname === '/v2/') return res.writeHead(200).end('{}');
    if (url.pathname === '/v2/team/app/manifests/flaky') {
      if (flaky++ < 2) return res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': manifestDigest });
      return res.end(manifest);
    }
    if (url.pathname === '/v2/team/app/manifests/lying') {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': `sha256:${'0'.repeat(64)}` });
      return res.end(manifest);
    }
    if (url.pathname.startsWith('/v2/secret/')) {
      res.writeHead(403, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] }));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as { port: number }).port}`;
});

test.after(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const client = (repository: string, password: string) =>
  new RegistryClient({ registry: host, repository, insecure: true, credentials: { username: 'me', password }, retryDelayMs: 1 });

test('bearer token from the challenge, with basic credentials and the repository scope', async () => {
  const c = client('team/app', 'right');
  await c.authenticate('pull,push');
  assert.not.ok(await c.hasBlob(`sha256:${'b'.repeat(64)}`));
  const tokenRequest = seen.find((s) => s.startsWith('GET /token'))!;
  assert.match(tokenRequest, /service=test/);
  assert.match(tokenRequest, /scope=repository%3Ateam%2Fapp%3Apull%2Cpush/);
  assert.ok(seen[seen.length - 1]!.includes('Bearer tok-repository:team/app:pull,push'));
});

test('a wrong password is a clear 401 that never shows the password', async () => {
  try {
    await client('team/app', 'wrong-password').authenticate('pull');
    assert.unreachable('should fail');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as DropshipError).code, 'REGISTRY_UNAUTHORIZED');
    assert.match((error as DropshipError).hint!, /dropship login 127\.0\.0\.1:\d+/);
    assert.not.ok(`${(error as Error).message} ${(error as DropshipError).hint}`.includes('wrong-password'));
  }
});

test('5xx answers are retried; the manifest is verified against its digest', async () => {
  const c = client('team/app', 'right');
  await c.authenticate('pull');
  const got = await c.getManifest('flaky', ['application/vnd.oci.image.manifest.v1+json']);
  assert.is(got.digest, manifestDigest);
  assert.is(flaky, 3);
  try {
    await c.getManifest('lying', ['application/vnd.oci.image.manifest.v1+json']);
    assert.unreachable('should fail');
  } catch (error) {
    assert.is((error as DropshipError).code, 'DIGEST_MISMATCH');
  }
});

test('403 is reported as a permission problem', async () => {
  const c = client('secret/app', 'right');
  await c.authenticate('pull');
  try {
    await c.getManifest('v1', ['application/vnd.oci.image.manifest.v1+json']);
    assert.unreachable('should fail');
  } catch (error) {
    assert.is((error as DropshipError).code, 'REGISTRY_FORBIDDEN');
    assert.match((error as Error).message, /forbids this account to get the manifest v1 in secret\/app \(403 Forbidden\) \(DENIED: requested access/);
  }
});

test.run();
