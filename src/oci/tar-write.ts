import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { DropshipError } from '../errors.js';
import { END_OF_ARCHIVE, encodeHeader, isLayerXattr, paddingFor, type TarHeader } from './tar-header.js';

export type { TarHeader } from './tar-header.js';

/** 1980-01-01T00:00:01Z: the mtime Cloud Native Buildpacks write; zip and some tools reject 1970. */
export const DEFAULT_MTIME = 315532801;

/** The fixed mtime of reproducible archives: SOURCE_DATE_EPOCH when set, as reproducible-builds.org asks. */
export function reproducibleMtime(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.SOURCE_DATE_EPOCH;
  if (value === undefined || value === '') return DEFAULT_MTIME;
  const seconds = Number(value);
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new DropshipError('INVALID_SOURCE_DATE_EPOCH', `SOURCE_DATE_EPOCH: '${value}' is not a number of seconds`, {
      hint: 'set SOURCE_DATE_EPOCH to seconds since 1970, e.g. $(git log -1 --format=%ct), or unset it',
    });
  }
  return seconds;
}

/** One entry for packEntries: a header and, for files, where the bytes come from. */
export interface PackEntry extends Omit<TarHeader, 'mtime'> {
  /** Defaults to the reproducible mtime. */
  mtime?: number;
  /** File content; a stream needs `size` set. */
  body?: Buffer | string | Readable;
}

/** Small files are read whole: one syscall beats a stream's overhead for the many tiny files of a rootfs. */
const SMALL_FILE = 1024 * 1024;

/** A tar stream of the entries, in the order given (sort them for reproducible output). */
export function packEntries(entries: Iterable<PackEntry> | AsyncIterable<PackEntry>, options: { mtime?: number } = {}): Readable {
  const mtime = options.mtime ?? reproducibleMtime();
  async function* generate(): AsyncGenerator<Buffer> {
    for await (const entry of entries) yield* encodeEntry(entry, mtime);
    yield END_OF_ARCHIVE;
  }
  return Readable.from(generate(), { objectMode: false });
}

async function* encodeEntry(entry: PackEntry, mtime: number): AsyncGenerator<Buffer> {
  const { body, ...rest } = entry;
  const header: TarHeader = { ...rest, mtime: entry.mtime ?? mtime };
  if (entry.type !== 'file' || body === undefined) {
    yield encodeHeader(header);
    return;
  }
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    if (header.size !== undefined && header.size !== data.length) {
      throw new DropshipError('TAR_BAD_ENTRY', `tar entry '${entry.name}': size ${header.size} but the body has ${data.length} bytes`, {
        hint: 'this is a bug in the caller of packEntries',
      });
    }
    yield Buffer.concat([encodeHeader({ ...header, size: data.length }), data, paddingFor(data.length)]);
    return;
  }
  if (header.size === undefined) {
    throw new DropshipError('TAR_BAD_ENTRY', `tar entry '${entry.name}': a streamed body needs a size`, {
      hint: 'this is a bug in the caller of packEntries',
    });
  }
  yield encodeHeader(header);
  let seen = 0;
  for await (const chunk of body) {
    seen += (chunk as Buffer).length;
    if (seen > header.size) break;
    yield chunk as Buffer;
  }
  if (seen !== header.size) {
    throw new DropshipError('TAR_FILE_CHANGED', `${entry.name} changed while it was archived (expected ${header.size} bytes, read ${seen})`, {
      hint: 'do not change the directory while dropship archives it, then try again',
    });
  }
  yield paddingFor(header.size);
}

export interface PackOptions {
  /** Put every entry under this path, e.g. `home/vcap/`; its parents are written as root-owned 0755 directories. */
  prefix?: string;
  /** Override the owner of every entry (e.g. vcap 2000:2000 for a droplet); ids are kept otherwise. */
  owner?: { uid: number; gid: number };
  /** Seconds since the epoch for every entry; default SOURCE_DATE_EPOCH or 1980-01-01T00:00:01Z. */
  mtime?: number;
  /** Character and block devices: skipped by default (containers get /dev from the runtime). */
  devices?: 'skip' | 'keep';
  /**
   * Keep `security.capability` and `user.*` extended attributes (read with getfattr from the
   * `attr` package). Default true; without getfattr they are left out and onWarning says so.
   */
  xattrs?: boolean;
  /** Entries written after the directory's, sorted by name (e.g. a launcher script). */
  extra?: PackEntry[];
  /** Leave out paths (relative, without the prefix) for which this returns false. */
  filter?: (relativePath: string, stats: Stats) => boolean;
  onWarning?: (message: string) => void;
}

/**
 * A reproducible tar of `dir`: entries in lexical order (parents first), fixed mtimes, ids kept or
 * overridden, no user/group names, hard links as link entries, symlinks stored (never followed),
 * sockets dropped. Streams: memory stays flat whatever the size of the tree.
 */
export function packDirectory(dir: string, options: PackOptions = {}): Readable {
  const mtime = options.mtime ?? reproducibleMtime();
  return packEntries(walkEntries(dir, options), { mtime });
}

async function* walkEntries(dir: string, options: PackOptions): AsyncGenerator<PackEntry> {
  const rootStats = lstatOrThrow(dir);
  if (!rootStats.isDirectory()) {
    throw new DropshipError('TAR_NOT_A_DIRECTORY', `${dir} is not a directory`, { hint: 'give the path of a directory to archive' });
  }
  const xattrs = options.xattrs === false ? new Map<string, Record<string, Buffer>>() : await readXattrs(dir, options.onWarning);
  const prefix = normalisePrefix(options.prefix);
  const owner = (stats: Stats) => options.owner ?? { uid: stats.uid, gid: stats.gid };
  const hardLinks = new Map<string, string>();

  if (prefix) {
    const parts = prefix.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      yield { name: parts.slice(0, i).join('/') + '/', type: 'directory', mode: 0o755, uid: 0, gid: 0 };
    }
    yield { name: prefix, type: 'directory', mode: rootStats.mode & 0o7777, ...owner(rootStats), xattrs: xattrs.get('') };
  }

  async function* walk(relDir: string): AsyncGenerator<PackEntry> {
    const names = readdirSync(join(dir, relDir)).sort();
    for (const name of names) {
      const rel = relDir ? `${relDir}/${name}` : name;
      const path = join(dir, rel);
      const stats = lstatOrThrow(path);
      if (options.filter && !options.filter(rel, stats)) continue;
      const base = { name: prefix + rel, mode: stats.mode & 0o7777, ...owner(stats), xattrs: xattrs.get(rel) };
      if (stats.isDirectory()) {
        yield { ...base, name: base.name + '/', type: 'directory' };
        yield* walk(rel);
      } else if (stats.isFile()) {
        if (stats.nlink > 1) {
          const key = `${stats.dev}:${stats.ino}`;
          const first = hardLinks.get(key);
          if (first !== undefined) {
            yield { ...base, type: 'link', linkname: first, xattrs: undefined };
            continue;
          }
          hardLinks.set(key, base.name);
        }
        yield { ...base, type: 'file', size: stats.size, body: readBody(path, stats.size) };
      } else if (stats.isSymbolicLink()) {
        yield { ...base, type: 'symlink', linkname: readlinkSync(path) };
      } else if (stats.isFIFO()) {
        yield { ...base, type: 'fifo' };
      } else if (stats.isCharacterDevice() || stats.isBlockDevice()) {
        if (options.devices !== 'keep') continue;
        yield {
          ...base,
          type: stats.isCharacterDevice() ? 'character-device' : 'block-device',
          devmajor: Math.floor(stats.rdev / 256) & 0xfff,
          devminor: (stats.rdev & 0xff) | ((stats.rdev >> 12) & 0xfff00),
        };
      }
    }
  }
  yield* walk('');
  const extra = [...(options.extra ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  yield* extra;
}

function readBody(path: string, size: number): Buffer | Readable {
  if (size <= SMALL_FILE) return readFileSync(path);
  return createReadStream(path, { highWaterMark: SMALL_FILE });
}

function lstatOrThrow(path: string): Stats {
  try {
    return lstatSync(path);
  } catch (error) {
    throw new DropshipError('TAR_READ_FAILED', `cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
      hint: 'check that the directory exists and is readable, and that nothing removes files while it is archived',
    });
  }
}

function normalisePrefix(prefix: string | undefined): string {
  if (!prefix) return '';
  const clean = prefix.replace(/^\.?\/+/, '').replace(/\/*$/, '/');
  if (clean === '/' || clean.split('/').some((p) => p === '..' || p === '.')) {
    throw new DropshipError('TAR_BAD_PREFIX', `tar prefix '${prefix}' must be a relative path without . or ..`, {
      hint: "write it like 'home/vcap/'",
    });
  }
  return clean;
}

/**
 * Extended attributes of a whole tree in one `getfattr -R` run (Node has no xattr calls, and one
 * process per file would cost seconds on a rootfs). Keyed by path relative to `dir`.
 */
async function readXattrs(dir: string, onWarning?: (message: string) => void): Promise<Map<string, Record<string, Buffer>>> {
  const result = new Map<string, Record<string, Buffer>>();
  const run = await execa('getfattr', ['-R', '-P', '-d', '-m', '-', '-e', 'hex', '--absolute-names', dir], {
    reject: false,
    stripFinalNewline: false,
  });
  // No exit code means getfattr never ran; a non-zero one (an unreadable file) still lists the rest.
  if (run.exitCode === undefined) {
    onWarning?.('getfattr not found (Debian package attr): extended attributes such as file capabilities are not archived');
    return result;
  }
  let current: string | undefined;
  for (const line of String(run.stdout).split('\n')) {
    if (line.startsWith('# file: ')) {
      const path = unescapeGetfattr(line.slice('# file: '.length));
      current = path === dir ? '' : path.startsWith(dir.replace(/\/$/, '') + '/') ? path.slice(dir.replace(/\/$/, '').length + 1) : undefined;
      continue;
    }
    const eq = line.indexOf('=');
    if (current === undefined || eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (!isLayerXattr(key) || !value.startsWith('0x')) continue;
    const entry = result.get(current) ?? {};
    entry[key] = Buffer.from(value.slice(2), 'hex');
    result.set(current, entry);
  }
  return result;
}

/** getfattr writes unusual bytes in names as `\ooo` octal escapes and a backslash as `\\`. */
function unescapeGetfattr(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && /^[0-7]{3}$/.test(text.slice(i + 1, i + 4))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    } else if (text[i] === '\\' && text[i + 1] === '\\') {
      bytes.push(0x5c);
      i += 1;
    } else {
      bytes.push(...Buffer.from(text[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
