import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { DropshipError } from '../errors.js';
import { VCAP_GID, VCAP_UID } from '../security/idmap.js';
import type { BlobStore } from './cas.js';
import { type Descriptor, type Digest, hashThrough } from './digest.js';
import { bad, DropletPaths } from './droplet-paths.js';
import { LAUNCHER_PATH, launcherScript } from './launcher.js';
import { MediaType } from './media-types.js';
import { END_OF_ARCHIVE, encodeHeader, paddingFor, type TarHeader } from './tar-header.js';
import { reproducibleMtime } from './tar-write.js';

export interface DropletLayer {
  descriptor: Descriptor;
  diffId: Digest;
  /** sha256 of the droplet file as given (the image's source digest label). */
  sourceDigest: Digest;
  /** `staging_info.yml` (JSON despite the name) when the droplet has one. */
  stagingInfo?: { detected_buildpack?: string; start_command?: string };
  skipped: string[];
}

const HOME = 'home/vcap/';
/** Directories the launcher relies on even when the droplet lacks them. */
const REQUIRED_DIRS = ['app/', 'deps/', 'logs/', 'profile.d/', 'tmp/'].map((d) => HOME + d);
const MAX_STAGING_INFO = 1024 * 1024;
const WHITEOUT = '.wh.';

/** A droplet name relative to /home/vcap: a leading `/` is dropped (as tar does), `..` refused. */
function normaliseName(raw: string, entryName: string = raw): string {
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw bad(entryName, `climbs out of the droplet with '..'${raw === entryName ? '' : ` in its link target '${raw}'`}`);
  if (parts.some((p) => p.includes('\0'))) throw bad(entryName, 'has a NUL byte in its name');
  return parts.join('/');
}

/**
 * The droplet as one layer at /home/vcap, owned by vcap, plus the launcher, in one streaming
 * pass: droplet.tgz → gunzip → re-headered tar → the store (which hashes it: digest = diff_id,
 * the store keeps layers uncompressed). Headers are normalised (fixed mtime, vcap ids, no
 * names, no setuid bits), so the same droplet always gives the same diff_id. Entries keep the
 * droplet's order, which is sorted when the droplet was written by dropship.
 *
 * The droplet is written by staging code, so it is untrusted: nothing of it is written on the
 * host here (it only streams into the store), every name lands under home/vcap/ (`..` refused,
 * a leading `/` dropped, hard links kept inside), and an entry through a symlink or file of the
 * droplet, or named like a whiteout, is refused by name. Symlink targets are kept as they are:
 * they resolve inside the container, and the unpacker never follows them on the host.
 */
export async function writeDropletLayer(dropletPath: string, blobs: BlobStore, options: { mtime?: number } = {}): Promise<DropletLayer> {
  const mtime = options.mtime ?? reproducibleMtime();
  const sourceHash = createHash('sha256');
  const extract = tar.extract();
  // tar-stream drops entries emitted before an iterator listens, so listen before data flows.
  const entries = extract[Symbol.asyncIterator]();
  const feeding = pipeline(
    createReadStream(dropletPath),
    hashThrough(sourceHash),
    createGunzip(),
    extract,
  ).catch((error: unknown) => {
    throw new DropshipError('DROPLET_UNREADABLE', `cannot read droplet ${dropletPath}: ${(error as Error).message}`, {
      cause: error,
      hint: 'give the .tgz that dropship stage wrote (gzip-compressed tar)',
    });
  });
  feeding.catch(() => undefined);

  const skipped: string[] = [];
  let stagingInfoText: string | undefined;
  const seen = new Set<string>();
  const paths = new DropletPaths();
  const dir = (name: string, uid: number, gid: number): TarHeader => ({ name, type: 'directory', mode: 0o755, uid, gid, mtime });

  async function* layer(): AsyncGenerator<Buffer> {
    yield encodeHeader(dir('home/', 0, 0));
    yield encodeHeader(dir(HOME, VCAP_UID, VCAP_GID));
    const missingBefore = function* (name: string): Generator<Buffer> {
      for (const required of REQUIRED_DIRS) {
        if (!seen.has(required) && required < name) {
          seen.add(required);
          paths.add(required.slice(HOME.length, -1), 'directory', required);
          yield encodeHeader(dir(required, VCAP_UID, VCAP_GID));
        }
      }
    };
    for (let next = await entries.next(); !next.done; next = await entries.next()) {
      const entry = next.value;
      const h = entry.header;
      const relative = normaliseName(h.name);
      if (relative === '') {
        entry.resume();
        continue;
      }
      const type = h.type === 'file' || h.type === 'contiguous-file' ? 'file' : h.type;
      if (type !== 'file' && type !== 'directory' && type !== 'symlink' && type !== 'link') {
        skipped.push(`${h.name} (${h.type})`);
        entry.resume();
        continue;
      }
      if (relative.slice(relative.lastIndexOf('/') + 1).startsWith(WHITEOUT)) {
        throw bad(h.name, `is named like an OCI whiteout ('${WHITEOUT}…'), which a layer cannot carry as a file`);
      }
      const name = HOME + relative + (type === 'directory' ? '/' : '');
      yield* missingBefore(name);
      const linkTarget = type === 'link' ? normaliseName(h.linkname ?? '', h.name) : undefined;
      if (linkTarget !== undefined) paths.checkLinkTarget(linkTarget, h.name);
      paths.add(relative, type, h.name);
      seen.add(name);
      const header: TarHeader = {
        name,
        type,
        mode: (h.mode ?? (type === 'directory' ? 0o755 : 0o644)) & 0o1777,
        uid: VCAP_UID,
        gid: VCAP_GID,
        mtime,
        size: type === 'file' ? h.size ?? 0 : 0,
      };
      if (type === 'symlink') header.linkname = h.linkname ?? '';
      if (linkTarget !== undefined) header.linkname = HOME + linkTarget;
      yield encodeHeader(header);
      if (type !== 'file') {
        entry.resume();
        continue;
      }
      const keep = relative === 'staging_info.yml' && (h.size ?? 0) <= MAX_STAGING_INFO;
      const kept: Buffer[] = [];
      for await (const chunk of entry) {
        if (keep) kept.push(chunk as Buffer);
        yield chunk as Buffer;
      }
      if (keep) stagingInfoText = Buffer.concat(kept).toString('utf8');
      yield paddingFor(h.size ?? 0);
    }
    yield* missingBefore('\u{10ffff}');
    yield encodeHeader(dir('lifecycle/', 0, 0));
    yield* launcherTail(mtime);
  }

  let written;
  try {
    written = await blobs.writeStream(layer());
    await feeding;
  } catch (error) {
    extract.destroy();
    // A broken droplet surfaces in the tar stream as a bare error; report the droplet's own.
    const readError: unknown = await feeding.then(() => undefined, (e: unknown) => e);
    throw error instanceof DropshipError || !(readError instanceof DropshipError) ? error : readError;
  }
  return {
    descriptor: { mediaType: MediaType.layer, digest: written.digest, size: written.size },
    diffId: written.digest,
    sourceDigest: `sha256:${sourceHash.digest('hex')}`,
    stagingInfo: parseStagingInfo(stagingInfoText, dropletPath),
    skipped,
  };
}

function parseStagingInfo(text: string | undefined, dropletPath: string): DropletLayer['stagingInfo'] {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as DropletLayer['stagingInfo'];
  } catch (error) {
    throw new DropshipError('DROPLET_BAD_STAGING_INFO', `droplet ${dropletPath}: ./staging_info.yml is not JSON`, {
      cause: error,
      hint: 'staging writes it as JSON ({"detected_buildpack":…,"start_command":…}); stage the app again',
    });
  }
}

/**
 * The last bytes of every droplet layer: the launcher entry and the end of the archive. The
 * image-reuse check compares a stored layer's tail with these to know it has this launcher.
 */
export function launcherTail(mtime: number): Buffer[] {
  const launcher = Buffer.from(launcherScript());
  return [
    encodeHeader({ name: LAUNCHER_PATH.slice(1), type: 'file', mode: 0o755, uid: 0, gid: 0, mtime, size: launcher.length }),
    launcher,
    paddingFor(launcher.length),
    END_OF_ARCHIVE,
  ];
}
