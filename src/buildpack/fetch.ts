import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import got from 'got';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { writeStreamAtomic } from '../util/atomic-stream.js';
import { withLock } from '../util/lock.js';
import { formatBytes } from '../util/units.js';
import { extractBuildpackArchive } from './archive.js';
import { privateBuildpackUrlsAllowed, UrlGuard } from './url-policy.js';

export interface FetchOptions {
  /** Largest archive accepted, bytes (default 512 MiB). */
  maxBytes?: number;
  /** Per attempt, ms (default 5 min). */
  timeoutMs?: number;
  /** Attempts after the first (default 2). */
  retries?: number;
  /** Fetch again even when the URL is cached. */
  refresh?: boolean;
  home?: string;
  /**
   * The URL comes from the app's own files (a string names the file, e.g. its manifest.yml): it may
   * only reach public addresses, unless the operator allows private ones (see url-policy).
   */
  fromApp?: boolean | string;
  /** Which addresses an app's URL may connect to; default: public ones only. */
  addressAllowed?: (address: string) => boolean;
}

/** The guard for an app's URL, or undefined when the operator chose the URL or allows private ones. */
function appUrlGuard(options: FetchOptions): UrlGuard | undefined {
  if (!options.fromApp || privateBuildpackUrlsAllowed()) return undefined;
  return new UrlGuard(typeof options.fromApp === 'string' ? options.fromApp : "the app's manifest", options.addressAllowed);
}

export interface ParsedBuildpackUrl {
  url: string;
  sha256?: string;
}

/** A `-b` value or registration origin to download, rather than a name or local path. */
export function isBuildpackUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}

/** `https://host/bp.tgz#sha256=<hex>`: the fragment pins the archive's digest and is never sent. */
export function parseBuildpackUrl(value: string): ParsedBuildpackUrl {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new DropshipError('BUILDPACK_URL_INVALID', `'${value}' is not a valid URL`, { hint: 'write it as https://host/path/buildpack.tgz' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new DropshipError('BUILDPACK_URL_INVALID', `buildpack URL '${value}' must be http or https`, { hint: 'download it yourself and pass the file' });
  }
  let sha256: string | undefined;
  if (parsed.hash) {
    const match = /^#sha256=([0-9a-fA-F]{64})$/.exec(parsed.hash);
    if (!match) {
      throw new DropshipError('BUILDPACK_URL_INVALID', `buildpack URL '${value}': the fragment must be #sha256=<64 hex digits>`, {
        hint: 'pin the archive with #sha256=$(sha256sum buildpack.tgz), or drop the fragment',
      });
    }
    sha256 = match[1]!.toLowerCase();
  }
  parsed.hash = '';
  return { url: parsed.toString(), sha256 };
}

export function urlCacheKey(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 32);
}

interface CacheMeta {
  url: string;
  sha256: string;
  bytes: number;
  root: string;
}

/** Download to `target` (temp + rename), hashing and counting bytes as they stream past. */
export async function downloadFile(url: string, target: string, options: FetchOptions = {}): Promise<{ sha256: string; bytes: number }> {
  const guard = appUrlGuard(options);
  if (guard) await guard.check(url);
  const maxBytes = options.maxBytes ?? 512 * 1024 ** 2;
  const retries = options.retries ?? 2;
  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(250 * 2 ** attempt);
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (bytes > maxBytes) {
          callback(new DropshipError('BUILDPACK_TOO_LARGE', `buildpack ${url} is larger than ${formatBytes(maxBytes)}`, {
            hint: 'use a smaller buildpack or raise DROPSHIP_BUILDPACK_MAX_BYTES',
          }));
          return;
        }
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await writeStreamAtomic(target, (out) =>
        pipeline(got.stream(url, {
          timeout: { request: options.timeoutMs ?? 300_000 },
          retry: { limit: 0 },
          // An app's URL: every connection, redirects included, only to addresses the guard allows.
          ...(guard ? { dnsLookup: guard.lookup(url), hooks: { beforeRedirect: [guard.redirect()] } } : {}),
        }), meter, out),
      );
      return { sha256: hash.digest('hex'), bytes };
    } catch (error) {
      if (guard?.refused) throw guard.refused;
      if (error instanceof DropshipError) throw error;
      lastError = error;
      const status = (error as { response?: { statusCode?: number } }).response?.statusCode;
      if (status !== undefined && status >= 400 && status < 500 && status !== 429) break;
    }
  }
  const message = (lastError as Error)?.message ?? String(lastError);
  throw new DropshipError('BUILDPACK_DOWNLOAD_FAILED', `could not download buildpack ${url}: ${message}`, {
    hint: 'check the URL and that this host can reach it',
    cause: lastError,
  });
}

/**
 * A URL buildpack as a local directory, cached by URL under $DROPSHIP_HOME/buildpacks/cache.
 * A `#sha256=` pin is checked against the download (and against the cached copy).
 */
export async function fetchBuildpack(value: string, options: FetchOptions = {}): Promise<{ dir: string; url: string; sha256: string; cached: boolean }> {
  const { url, sha256: pin } = parseBuildpackUrl(value);
  const paths = homePaths(options.home);
  const key = urlCacheKey(url);
  const entry = join(paths.buildpacks, 'cache', key);
  // Checked before the cache too: an app may not even learn whether a private URL was fetched before.
  await appUrlGuard(options)?.check(url);
  return withLock(join(paths.locks, `buildpack-url-${key}.lock`), async () => {
    const meta = await readMeta(join(entry, 'meta.json'));
    if (meta && !options.refresh && (!pin || pin === meta.sha256) && (await stat(meta.root).catch(() => undefined))) {
      return { dir: meta.root, url, sha256: meta.sha256, cached: true };
    }
    const fresh = `${entry}.${process.pid}.new`;
    await rm(fresh, { recursive: true, force: true });
    await mkdir(fresh, { recursive: true });
    try {
      const archive = join(fresh, 'archive');
      const maxBytes = options.maxBytes ?? (process.env.DROPSHIP_BUILDPACK_MAX_BYTES ? Number(process.env.DROPSHIP_BUILDPACK_MAX_BYTES) : undefined);
      const { sha256, bytes } = await downloadFile(url, archive, { ...options, maxBytes });
      if (pin && pin !== sha256) {
        throw new DropshipError('BUILDPACK_DIGEST_MISMATCH', `buildpack ${url} has sha256 ${sha256}, but the URL pins ${pin}`, {
          hint: 'the file changed on the server, or the pin is wrong: check where the URL points before updating the pin',
        });
      }
      const root = await extractBuildpackArchive(archive, join(fresh, 'bp'), url);
      await rm(archive, { force: true });
      await rm(entry, { recursive: true, force: true });
      await rename(fresh, entry);
      const finalRoot = join(entry, root.slice(fresh.length + 1));
      await writeJsonAtomic(join(entry, 'meta.json'), { url, sha256, bytes, root: finalRoot } satisfies CacheMeta);
      return { dir: finalRoot, url, sha256, cached: false };
    } catch (error) {
      await rm(fresh, { recursive: true, force: true });
      throw error;
    }
  });
}

async function readMeta(path: string): Promise<CacheMeta | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as CacheMeta;
  } catch {
    return undefined;
  }
}
