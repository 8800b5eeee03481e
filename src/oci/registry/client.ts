import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import got, { type Response } from 'got';
import { DropshipError } from '../../errors.js';
import { basicAuthorization, parseChallenge } from './auth.js';
import type { Credentials } from './credentials.js';

export interface RegistryClientOptions {
  registry: string;
  repository: string;
  /** Plain http, for a registry on 127.0.0.1. */
  insecure?: boolean;
  credentials?: Credentials;
  /**
   * Blobs larger than this go up in PATCH chunks that survive a dropped connection. Measured
   * against docker-registry here: a PATCH upload costs about twice a single PUT, so only large
   * blobs, where a restart from zero hurts most, are chunked.
   */
  monolithicLimit?: number;
  chunkSize?: number;
  retries?: number;
  retryDelayMs?: number;
}

/** What a push or pull did on the wire, so callers (and tests) can see that nothing was re-sent. */
export interface RegistryStats {
  requests: Record<string, number>;
  blobsUploaded: number;
  bytesUploaded: number;
  blobsSkipped: number;
  blobsMounted: number;
  resumes: number;
  /** Uploads begun again from byte 0 because the registry dropped the interrupted one. */
  restarts: number;
}

export interface BlobRef {
  digest: string;
  size: number;
}

type Body = string | Buffer | Readable;

interface SendOptions {
  headers?: Record<string, string>;
  body?: () => Body;
  expect: number[];
  what: string;
  attempts?: number;
  followRedirect?: boolean;
}

const RETRYABLE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EAI_AGAIN', 'ECONNABORTED']);

function isRetryableError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** A client for one repository of one registry, speaking the OCI distribution API. */
export class RegistryClient {
  readonly registry: string;
  readonly repository: string;
  readonly stats: RegistryStats = { requests: {}, blobsUploaded: 0, bytesUploaded: 0, blobsSkipped: 0, blobsMounted: 0, resumes: 0, restarts: 0 };
  private readonly base: string;
  private readonly credentials?: Credentials;
  private readonly monolithicLimit: number;
  private readonly chunkSize: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private authorization?: string;
  private tokenScopes = new Set<string>();

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    this.repository = options.repository;
    this.base = `${options.insecure ? 'http' : 'https'}://${options.registry}/v2/`;
    this.credentials = options.credentials;
    this.monolithicLimit = options.monolithicLimit ?? 64 * 1024 * 1024;
    this.chunkSize = options.chunkSize ?? 32 * 1024 * 1024;
    this.retries = options.retries ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 250;
  }

  private get where(): string {
    return `${this.registry}/${this.repository}`;
  }

  private url(path: string): string {
    return new URL(path, this.base).toString();
  }

  /**
   * `/v2/` ping, then whatever login the registry asks for: a bearer token for the scopes
   * (from the challenge's realm, with basic credentials if we have them) or basic auth.
   */
  async authenticate(actions: 'pull' | 'pull,push', extraScopes: string[] = []): Promise<void> {
    const res = await this.send('GET', this.base, { expect: [200, 401], what: 'ping the registry' });
    if (res.statusCode === 200) return;
    await this.answerChallenge(res, [`repository:${this.repository}:${actions}`, ...extraScopes]);
  }

  /** Check credentials the way `docker login` does: `/v2/` must answer 200 once authenticated. */
  async login(): Promise<void> {
    const res = await this.send('GET', this.base, { expect: [200, 401], what: 'ping the registry' });
    if (res.statusCode === 200 && !this.credentials) return;
    if (res.statusCode === 401) await this.answerChallenge(res, []);
    else if (this.credentials) this.authorization = basicAuthorization(this.credentials.username, this.credentials.password);
    await this.sendRaw('GET', this.base, { expect: [200], what: 'log in' });
  }

  private async answerChallenge(res: Response<Buffer>, scopes: string[]): Promise<void> {
    const header = res.headers['www-authenticate'];
    const challenge = parseChallenge(Array.isArray(header) ? header[0]! : (header ?? ''));
    if (challenge?.scheme === 'basic') {
      if (!this.credentials) throw this.unauthorized('it asks for a user name and password');
      this.authorization = basicAuthorization(this.credentials.username, this.credentials.password);
      return;
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) {
      throw this.unauthorized(`its WWW-Authenticate challenge is not understood: '${String(header ?? '')}'`);
    }
    const tokenUrl = new URL(challenge.params.realm);
    if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
    for (const scope of new Set([...scopes, ...(challenge.params.scope ? [challenge.params.scope] : [])])) {
      tokenUrl.searchParams.append('scope', scope);
      this.tokenScopes.add(scope);
    }
    const headers: Record<string, string> = {};
    if (this.credentials) headers.authorization = basicAuthorization(this.credentials.username, this.credentials.password);
    const tokenRes = await this.sendRaw('GET', tokenUrl.toString(), { headers, expect: [200], what: 'get a bearer token' }, false);
    let body: { token?: string; access_token?: string };
    try {
      body = JSON.parse(tokenRes.body.toString('utf8')) as typeof body;
    } catch {
      throw this.unauthorized('its token service did not answer with JSON');
    }
    const token = body.token ?? body.access_token;
    if (!token) throw this.unauthorized('its token service returned no token');
    this.authorization = `Bearer ${token}`;
  }

  private unauthorized(why: string): DropshipError {
    return new DropshipError('REGISTRY_UNAUTHORIZED', `registry ${this.registry} refused access to ${this.repository} (401 Unauthorized): ${why}`, {
      hint: `run 'dropship login ${this.registry}' (or pass --username and --password-stdin) with an account that may use ${this.repository}`,
      exitCode: 1,
    });
  }

  private httpError(res: Response<Buffer>, what: string): DropshipError {
    let detail = '';
    try {
      const parsed = JSON.parse(res.body.toString('utf8')) as { errors?: Array<{ code?: string; message?: string }> };
      detail = (parsed.errors ?? []).map((e) => `${e.code ?? ''}${e.message ? `: ${e.message}` : ''}`).join('; ');
    } catch {
      detail = res.body?.toString('utf8').slice(0, 200).trim() ?? '';
    }
    const suffix = detail ? ` (${detail})` : '';
    const status = res.statusCode;
    if (status === 401) return this.unauthorized(`while trying to ${what}${suffix}`);
    if (status === 403) {
      return new DropshipError('REGISTRY_FORBIDDEN', `registry ${this.registry} forbids this account to ${what} in ${this.repository} (403 Forbidden)${suffix}`, {
        hint: 'ask the registry owner for push/pull rights on the repository, or log in as another user',
      });
    }
    if (status === 404) {
      return new DropshipError('REGISTRY_NOT_FOUND', `${this.where}: not found while trying to ${what} (404)${suffix}`, {
        hint: 'check the repository name and tag (or digest); list the tags with skopeo list-tags',
      });
    }
    return new DropshipError('REGISTRY_ERROR', `${this.where}: could not ${what}: HTTP ${status}${suffix}`, {
      hint: status >= 500 ? 'the registry failed; try again later or look at its logs' : 'see the registry message above',
      details: { status },
    });
  }

  private async sendRaw(method: string, url: string, options: SendOptions, useAuth = true): Promise<Response<Buffer>> {
    const attempts = options.attempts ?? this.retries + 1;
    for (let attempt = 1; ; attempt++) {
      let res: Response<Buffer>;
      try {
        res = await got(url, {
          method: method as 'GET',
          headers: { ...(useAuth && this.authorization ? { authorization: this.authorization } : {}), ...options.headers },
          body: options.body?.(),
          throwHttpErrors: false,
          retry: { limit: 0 },
          responseType: 'buffer',
          followRedirect: options.followRedirect ?? true,
          timeout: { connect: 10_000, response: 120_000 },
        });
      } catch (error) {
        if (isRetryableError(error) && attempt < attempts) {
          await this.backoff(attempt);
          continue;
        }
        throw this.networkError(error, options.what);
      } finally {
        this.stats.requests[method] = (this.stats.requests[method] ?? 0) + 1;
      }
      if ((res.statusCode >= 500 || res.statusCode === 429) && attempt < attempts) {
        await this.backoff(attempt);
        continue;
      }
      if (options.expect.includes(res.statusCode)) return res;
      throw this.httpError(res, options.what);
    }
  }

  /** A request with retries; a 401 asking for a scope we lack gets one token refresh. */
  private async send(method: string, url: string, options: SendOptions): Promise<Response<Buffer>> {
    const res = await this.sendRaw(method, url, { ...options, expect: [...options.expect, 401] });
    if (res.statusCode !== 401 || options.expect.includes(401)) return res;
    const challenge = parseChallenge(String(res.headers['www-authenticate'] ?? ''));
    const scope = challenge?.params.scope;
    if (challenge?.scheme === 'bearer' && scope && !this.tokenScopes.has(scope)) {
      await this.answerChallenge(res, [...this.tokenScopes]);
      return this.sendRaw(method, url, options);
    }
    throw this.httpError(res, options.what);
  }

  private networkError(error: unknown, what: string): DropshipError {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    return new DropshipError('REGISTRY_UNREACHABLE', `${this.where}: could not ${what}: ${code || (error as Error).message}`, {
      cause: error,
      hint: `check that the registry is up and reachable${this.base.startsWith('https') ? '; a plain-http registry needs --insecure' : ''}`,
    });
  }

  private async backoff(attempt: number): Promise<void> {
    await sleep(this.retryDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2));
  }

  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.send('HEAD', this.url(`${this.repository}/blobs/${digest}`), { expect: [200, 404], what: `check blob ${digest}` });
    return res.statusCode === 200;
  }

  /**
   * Upload a blob unless the registry has it: a cross-repository mount when we know a repository
   * holding it, one PUT for small blobs, PATCH chunks for large ones. `open(start)` reads the
   * blob from byte `start`, so a chunked upload resumes where the registry says it got to.
   */
  async uploadBlob(blob: BlobRef, open: (start: number, end: number) => Readable, mountFrom?: string): Promise<'exists' | 'mounted' | 'uploaded'> {
    if (await this.hasBlob(blob.digest)) {
      this.stats.blobsSkipped++;
      return 'exists';
    }
    const startUrl = new URL(this.url(`${this.repository}/blobs/uploads/`));
    if (mountFrom && mountFrom !== this.repository) {
      startUrl.searchParams.set('mount', blob.digest);
      startUrl.searchParams.set('from', mountFrom);
    }
    const started = await this.send('POST', startUrl.toString(), { expect: [201, 202], what: `start the upload of ${blob.digest}`, headers: { 'content-length': '0' } });
    if (started.statusCode === 201) {
      this.stats.blobsMounted++;
      return 'mounted';
    }
    let location = this.location(started, 'start an upload');
    if (blob.size <= this.monolithicLimit) {
      await this.send('PUT', withDigest(location, blob.digest), {
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
        body: () => open(0, blob.size - 1),
        expect: [201],
        what: `upload blob ${blob.digest}`,
      });
    } else {
      location = await this.uploadChunks(location, blob, open);
      await this.send('PUT', withDigest(location, blob.digest), {
        headers: { 'content-length': '0' },
        expect: [201],
        what: `finish the upload of ${blob.digest}`,
      });
    }
    this.stats.blobsUploaded++;
    this.stats.bytesUploaded += blob.size;
    return 'uploaded';
  }

  private async uploadChunks(location: string, blob: BlobRef, open: (start: number, end: number) => Readable): Promise<string> {
    let offset = 0;
    let failures = 0;
    while (offset < blob.size) {
      const end = Math.min(offset + this.chunkSize, blob.size) - 1;
      const from = offset;
      try {
        const res = await this.send('PATCH', location, {
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(end - from + 1), 'content-range': `${from}-${end}` },
          body: () => open(from, end),
          expect: [202],
          what: `upload bytes ${from}-${end} of ${blob.digest}`,
          attempts: 1,
        });
        location = this.location(res, 'upload a chunk');
        offset = rangeEnd(res) ?? end + 1;
      } catch (error) {
        const cause = error instanceof DropshipError ? error.cause : error;
        const retryable = isRetryableError(cause) || (error instanceof DropshipError && Number(error.details?.status) >= 500);
        if (!retryable || ++failures > this.retries) throw error;
        await this.backoff(failures);
        const status = await this.send('GET', location, { expect: [204, 400, 404], what: `query the upload status of ${blob.digest}` });
        if (status.statusCode === 204) {
          location = this.location(status, 'query the upload status');
          offset = rangeEnd(status) ?? 0;
          this.stats.resumes++;
        } else {
          // Some registries (distribution 2.x) cancel an upload that got part of a chunk: start over.
          const restarted = await this.send('POST', this.url(`${this.repository}/blobs/uploads/`), { expect: [202], what: `restart the upload of ${blob.digest}`, headers: { 'content-length': '0' } });
          location = this.location(restarted, 'restart an upload');
          offset = 0;
          this.stats.restarts++;
        }
      }
    }
    return location;
  }

  private location(res: Response<Buffer>, what: string): string {
    const header = res.headers.location;
    if (!header) throw new DropshipError('REGISTRY_ERROR', `${this.where}: the registry gave no Location header when asked to ${what}`, { hint: 'the registry does not follow the OCI distribution API' });
    return new URL(header, this.base).toString();
  }

  /** PUT a manifest under a tag or digest; returns the digest the registry reports. */
  async putManifest(reference: string, mediaType: string, bytes: Buffer): Promise<string> {
    const res = await this.send('PUT', this.url(`${this.repository}/manifests/${reference}`), {
      headers: { 'content-type': mediaType },
      body: () => bytes,
      expect: [201],
      what: `put the manifest ${reference}`,
    });
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const reported = res.headers['docker-content-digest'];
    if (typeof reported === 'string' && reported !== digest) {
      throw new DropshipError('DIGEST_MISMATCH', `${this.where}: the registry stored manifest ${reference} as ${reported}, but we sent ${digest}`, {
        hint: 'the registry rewrote the manifest; use a registry that keeps OCI manifests byte for byte',
      });
    }
    return digest;
  }

  /** GET a manifest, verifying its bytes against the digest asked for or the one the registry reports. */
  async getManifest(reference: string, accept: readonly string[]): Promise<{ mediaType: string; bytes: Buffer; digest: string }> {
    const res = await this.send('GET', this.url(`${this.repository}/manifests/${reference}`), {
      headers: { accept: accept.join(', ') },
      expect: [200],
      what: `get the manifest ${reference}`,
    });
    const bytes = res.body;
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const expected = reference.startsWith('sha256:') ? reference : res.headers['docker-content-digest'];
    if (typeof expected === 'string' && expected !== digest) {
      throw new DropshipError('DIGEST_MISMATCH', `${this.where}: manifest ${reference} does not match its digest: expected ${expected}, got ${digest}`, {
        hint: 'the registry or something between us changed the manifest; do not trust this image',
      });
    }
    const parsed = JSON.parse(bytes.toString('utf8')) as { mediaType?: string };
    const contentType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
    return { mediaType: parsed.mediaType ?? contentType, bytes, digest };
  }

  /**
   * Stream a blob, as the registry sends it: the caller verifies it on the way in
   * (BlobStore.writeStream with the expected digest and size), so the bytes are hashed once.
   */
  async openBlob(blob: BlobRef): Promise<Readable> {
    for (let attempt = 1; ; attempt++) {
      const stream = got.stream(this.url(`${this.repository}/blobs/${blob.digest}`), {
        headers: this.authorization ? { authorization: this.authorization } : {},
        throwHttpErrors: false,
        retry: { limit: 0 },
        timeout: { connect: 10_000, response: 120_000 },
      });
      this.stats.requests.GET = (this.stats.requests.GET ?? 0) + 1;
      try {
        const status = await new Promise<number>((resolve, reject) => {
          stream.once('response', (r: { statusCode: number }) => resolve(r.statusCode));
          stream.once('error', reject);
        });
        if (status === 200) return stream;
        stream.destroy();
        if ((status >= 500 || status === 429) && attempt <= this.retries) {
          await this.backoff(attempt);
          continue;
        }
        const what = `get blob ${blob.digest}`;
        throw this.httpError({ statusCode: status, body: Buffer.alloc(0), headers: {} } as Response<Buffer>, what);
      } catch (error) {
        if (isRetryableError(error) && attempt <= this.retries) {
          await this.backoff(attempt);
          continue;
        }
        if (error instanceof DropshipError) throw error;
        throw this.networkError(error, `get blob ${blob.digest}`);
      }
    }
  }
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url.toString();
}

function rangeEnd(res: Response<Buffer>): number | undefined {
  const match = /^(?:bytes=)?0-(\d+)$/.exec(String(res.headers.range ?? ''));
  return match ? Number(match[1]) + 1 : undefined;
}
