import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { chmod, lchown, lutimes, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline as streamPipeline, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { execa } from 'execa';
import * as tar from 'tar-stream';
import { DropshipError, isDropshipError } from '../errors.js';
import { hostGid, hostUid, type IdMap } from '../security/idmap.js';
import { type Digest, hashThrough } from './digest.js';
import { isLayerXattr } from './tar-header.js';

export interface UnpackOptions {
  /**
   * Shift every owner into the container's mapped range (container 0 → host 1000000 …). Without
   * one, files keep the unpacking user as owner (tests, inspection).
   */
  idMap?: IdMap;
  /**
   * `overlay` (default): the target is one overlayfs lowerdir per layer, so whiteouts are written the
   * overlayfs way (a 0/0 character device; `trusted.overlay.opaque=y`). `apply`: whiteouts delete
   * from the target, for flattening layers into one tree.
   */
  whiteouts?: 'overlay' | 'apply';
  /** Fail (after unpacking) unless the uncompressed tar hashes to this. */
  expectedDiffId?: Digest;
}

export interface UnpackResult {
  /** sha256 of the uncompressed tar. */
  diffId: Digest;
  entries: number;
  /** Entries not written (devices, fifos, xattrs that could not be carried) with why. */
  skipped: string[];
}

const SMALL_FILE = 1024 * 1024;
/** Background writes in flight; each holds at most one small file's bytes. */
const MAX_PENDING = 32;
const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** Gzipped layers are recognised by their magic bytes, whatever the media type claims. */
export async function decompressIfGzip(source: Readable): Promise<Readable> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head: Buffer | undefined = first.done ? undefined : (first.value as Buffer);
  const rest = Readable.from(
    (async function* () {
      if (head) yield head;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value as Buffer;
      }
    })(),
    { objectMode: false },
  );
  if (head && head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    return streamPipeline(rest, createGunzip(), () => undefined);
  }
  return rest;
}

/**
 * Unpack a layer tar (plain or gzipped) into `target`, streaming. Entries that would land outside
 * the target — `..`, absolute names, a parent that is a symlink, a hard link to outside — are
 * refused with an error naming the entry, before anything is written for them.
 */
export async function unpackLayer(source: Readable, target: string, options: UnpackOptions = {}): Promise<UnpackResult> {
  const unpacker = new Unpacker(target, options);
  const hash = createHash('sha256');
  const extract = tar.extract();
  const feeding = pipeline(
    await decompressIfGzip(source),
    hashThrough(hash),
    extract,
  );
  // It can fail while entries are still being written; it is awaited (and its error thrown) below.
  feeding.catch(() => undefined);
  try {
    for await (const entry of extract) await unpacker.entry(entry as Entry);
    // Resolves once the whole blob went through the hash (padding after the end blocks too) and
    // the store verified its digest.
    await feeding;
  } catch (error) {
    source.destroy();
    await feeding.catch(() => undefined);
    // Background writes must end before the caller removes the half-unpacked directory.
    await unpacker.settle();
    throw error;
  }
  await unpacker.finish();
  const diffId: Digest = `sha256:${hash.digest('hex')}`;
  if (options.expectedDiffId && diffId !== options.expectedDiffId) {
    throw new DropshipError('LAYER_DIFFID_MISMATCH', `layer unpacked into ${target} hashes to ${diffId}, the image says ${options.expectedDiffId}`, {
      hint: 'the layer blob does not match the image config; pull or rebuild the image',
    });
  }
  return { diffId, entries: unpacker.count, skipped: unpacker.skipped };
}

type Header = tar.Header;
/** An entry of tar-stream's extract (its streamx type is not exported). */
type Entry = AsyncIterable<Buffer> & { header: Header; resume(): unknown };

/**
 * Applies entries in tar order. Directories and checks are synchronous (children need their parent,
 * and a check must not race a write). Small files and symlinks — thousands in a rootfs, each a
 * create, chown, chmod and utimes — are written in the background, several at once, because on a
 * busy disk each create waits on the journal and the waits overlap. Anything that depends on a
 * pending write (a hard link to it, replacing or deleting it) waits for the pending writes first.
 */
class Unpacker {
  count = 0;
  readonly skipped: string[] = [];
  /** Relative paths checked to be real directories (not symlinks) inside the target. */
  private readonly dirs = new Set<string>(['']);
  /** Paths this layer wrote, which an opaque marker in `apply` mode must keep. */
  private readonly written = new Set<string>();
  private readonly dirTimes = new Map<string, number>();
  private readonly whiteouts: string[] = [];
  private readonly xattrs: Array<{ rel: string; name: string; value: Buffer }> = [];
  private readonly mode: 'overlay' | 'apply';
  private readonly pending = new Set<Promise<void>>();
  private readonly pendingPaths = new Set<string>();
  private failure: unknown;

  constructor(
    private readonly root: string,
    private readonly options: UnpackOptions,
  ) {
    this.mode = options.whiteouts ?? 'overlay';
  }

  async entry(entry: Entry): Promise<void> {
    const header = entry.header;
    if (this.failure) throw this.failure;
    this.count++;
    const rel = cleanName(header.name);
    const slash = rel.lastIndexOf('/');
    const parent = slash === -1 ? '' : rel.slice(0, slash);
    const base = slash === -1 ? rel : rel.slice(slash + 1);
    try {
      if (base.startsWith(WHITEOUT)) {
        entry.resume();
        await this.ensureDir(parent, header.name);
        await this.whiteout(parent, base, header.name);
        return;
      }
      switch (header.type) {
        case 'directory':
          entry.resume();
          await this.directory(rel, parent, header);
          break;
        case 'file':
        case 'contiguous-file':
          await this.file(entry, rel, parent, header);
          break;
        case 'symlink':
          entry.resume();
          await this.symlink(rel, parent, header);
          break;
        case 'link':
          entry.resume();
          await this.hardLink(rel, parent, header);
          break;
        default:
          entry.resume();
          this.skipped.push(`${header.name}: ${header.type} entries are not unpacked (the runtime provides /dev)`);
      }
    } catch (error) {
      if (isDropshipError(error)) throw error;
      throw new DropshipError('UNPACK_FAILED', `cannot unpack '${header.name}' into ${this.root}: ${(error as Error).message}`, {
        cause: error,
        hint: 'check free space and that the target is on a local filesystem that supports ownership and xattrs',
      });
    }
  }

  async finish(): Promise<void> {
    await this.drain();
    for (const rel of this.whiteouts) {
      await run('mknod', ['-m', '000', this.abs(rel), 'c', '0', '0'], `whiteout ${rel}`);
      if (this.options.idMap) lchownSync(this.abs(rel), hostUid(this.options.idMap, 0), hostGid(this.options.idMap, 0));
    }
    if (this.xattrs.length > 0) {
      // One setfattr for all of them (Node has no xattr calls); after every lchown, which clears
      // security.capability.
      const dump = this.xattrs.map((x) => `# file: ${quotePath(this.abs(x.rel))}\n${x.name}=0x${x.value.toString('hex')}\n`).join('\n');
      await run('setfattr', ['-h', '--restore=-'], 'setting extended attributes', dump);
    }
    const byDepth = [...this.dirTimes].sort((a, b) => b[0].split('/').length - a[0].split('/').length);
    for (const [rel, mtime] of byDepth) utimesSync(this.abs(rel), mtime, mtime);
  }

  private abs(rel: string): string {
    return rel ? join(this.root, rel) : this.root;
  }

  /** Make sure `rel` is a real directory inside the root, creating missing parents root-owned. */
  private async ensureDir(rel: string, entryName: string): Promise<void> {
    if (this.dirs.has(rel)) return;
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const sub = parts.slice(0, i).join('/');
      if (this.dirs.has(sub)) continue;
      if (this.pendingPaths.has(sub)) await this.drain();
      const stats = lstatMaybe(this.abs(sub));
      if (!stats) {
        mkdirSync(this.abs(sub), { mode: 0o755 });
        chmodSync(this.abs(sub), 0o755);
        if (this.options.idMap) lchownSync(this.abs(sub), hostUid(this.options.idMap, 0), hostGid(this.options.idMap, 0));
        this.written.add(sub);
      } else if (stats.isSymbolicLink()) {
        throw escape(entryName, `its parent ${sub} is a symlink, and writing through it could leave the root`);
      } else if (!stats.isDirectory()) {
        throw new DropshipError('UNPACK_NOT_A_DIRECTORY', `layer entry '${entryName}': ${sub} is not a directory`, {
          hint: 'the layer is malformed; rebuild it',
        });
      }
      this.dirs.add(sub);
    }
  }

  /** Clear the way for a new entry at `rel`; an existing directory stays when a directory comes. */
  private async replace(rel: string, keepDirectory: boolean): Promise<boolean> {
    if (this.pendingPaths.has(rel)) await this.drain();
    let stats = lstatMaybe(this.abs(rel));
    if (!stats) return false;
    if (keepDirectory && stats.isDirectory()) return true;
    if (this.pending.size > 0) {
      // Pending writes may be inside what is about to go.
      await this.drain();
      stats = lstatMaybe(this.abs(rel));
      if (!stats) return false;
    }
    rmSync(this.abs(rel), { recursive: true, force: true });
    if (stats.isDirectory()) {
      for (const dir of [...this.dirs]) if (dir === rel || dir.startsWith(rel + '/')) this.dirs.delete(dir);
    }
    return false;
  }

  private async directory(rel: string, parent: string, header: Header): Promise<void> {
    if (rel !== '') {
      await this.ensureDir(parent, header.name);
      if (!(await this.replace(rel, true))) mkdirSync(this.abs(rel), { mode: 0o700 });
      this.dirs.add(rel);
    }
    const ids = this.ids(header);
    if (ids) lchownSync(this.abs(rel), ids.uid, ids.gid);
    chmodSync(this.abs(rel), (header.mode ?? 0o755) & 0o7777);
    this.dirTimes.set(rel, mtimeOf(header));
    this.collectXattrs(rel, header);
    this.written.add(rel);
  }

  private async file(entry: Entry, rel: string, parent: string, header: Header): Promise<void> {
    if (rel === '') throw escape(header.name, 'a file cannot replace the root');
    await this.ensureDir(parent, header.name);
    await this.replace(rel, false);
    const path = this.abs(rel);
    const ids = this.ids(header);
    const mode = (header.mode ?? 0o644) & 0o7777;
    const mtime = mtimeOf(header);
    this.collectXattrs(rel, header);
    this.written.add(rel);
    if ((header.size ?? 0) <= SMALL_FILE) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const data = Buffer.concat(chunks);
      await this.defer(rel, header.name, async () => {
        await writeFile(path, data, { mode: 0o600, flag: 'wx' });
        if (ids) await lchown(path, ids.uid, ids.gid);
        await chmod(path, mode);
        await lutimes(path, mtime, mtime);
      });
      return;
    }
    const fd = openSync(path, 'wx', 0o600);
    try {
      for await (const chunk of entry) writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
    if (ids) lchownSync(path, ids.uid, ids.gid);
    chmodSync(path, mode);
    lutimesSync(path, mtime, mtime);
  }

  private async symlink(rel: string, parent: string, header: Header): Promise<void> {
    if (rel === '') throw escape(header.name, 'a symlink cannot replace the root');
    await this.ensureDir(parent, header.name);
    await this.replace(rel, false);
    const path = this.abs(rel);
    const ids = this.ids(header);
    const mtime = mtimeOf(header);
    this.written.add(rel);
    await this.defer(rel, header.name, async () => {
      await symlink(header.linkname ?? '', path);
      if (ids) await lchown(path, ids.uid, ids.gid);
      await lutimes(path, mtime, mtime);
    });
  }

  /** Run a write in the background, with at most MAX_PENDING at once; its failure fails the unpack. */
  private async defer(rel: string, entryName: string, write: () => Promise<void>): Promise<void> {
    this.pendingPaths.add(rel);
    const task: Promise<void> = write()
      .catch((error: unknown) => {
        this.failure ??= new DropshipError('UNPACK_FAILED', `cannot unpack '${entryName}' into ${this.root}: ${(error as Error).message}`, {
          cause: error,
          hint: 'check free space and that the target is on a local filesystem that supports ownership and xattrs',
        });
      })
      .finally(() => {
        this.pending.delete(task);
        this.pendingPaths.delete(rel);
      });
    this.pending.add(task);
    if (this.pending.size >= MAX_PENDING) await Promise.race(this.pending);
  }

  /** Wait for every background write, whatever its outcome. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
    if (this.failure) throw this.failure;
  }

  private async hardLink(rel: string, parent: string, header: Header): Promise<void> {
    const targetRel = cleanName(header.linkname ?? '', header.name);
    if (targetRel === '') throw escape(header.name, 'a hard link to the root');
    const targetParent = targetRel.includes('/') ? targetRel.slice(0, targetRel.lastIndexOf('/')) : '';
    await this.ensureDir(targetParent, header.name);
    if (this.pendingPaths.has(targetRel)) await this.drain();
    const stats = lstatMaybe(this.abs(targetRel));
    if (!stats || stats.isDirectory()) {
      throw new DropshipError('UNPACK_BAD_LINK', `layer entry '${header.name}': hard link target '${header.linkname}' is ${stats ? 'a directory' : 'missing'}`, {
        hint: 'the layer is malformed; a hard link must follow the file it links to',
      });
    }
    await this.ensureDir(parent, header.name);
    if (rel === targetRel) return;
    await this.replace(rel, false);
    linkSync(this.abs(targetRel), this.abs(rel));
    this.written.add(rel);
  }

  /** Host ids for the entry's owner, or undefined when ids are not shifted. */
  private ids(header: Header): { uid: number; gid: number } | undefined {
    const map = this.options.idMap;
    if (!map) return undefined;
    try {
      return { uid: hostUid(map, header.uid ?? 0), gid: hostGid(map, header.gid ?? 0) };
    } catch (error) {
      throw new DropshipError('UNPACK_UNMAPPED_ID', `layer entry '${header.name}': ${(error as Error).message}`, {
        cause: error,
        hint: 'files in a layer must be owned by ids inside the container id map (0–65535)',
      });
    }
  }

  private collectXattrs(rel: string, header: Header): void {
    const pax = (header.pax ?? {}) as Record<string, string>;
    for (const [key, value] of Object.entries(pax)) {
      if (!key.startsWith('SCHILY.xattr.')) continue;
      const name = key.slice('SCHILY.xattr.'.length);
      if (!isLayerXattr(name)) {
        this.skipped.push(`${header.name}: xattr ${name} is not carried into containers`);
      } else if (value.includes('\uFFFD')) {
        // tar-stream decodes PAX values as UTF-8, so binary bytes that are not valid UTF-8 are lost.
        this.skipped.push(`${header.name}: xattr ${name} has a binary value that could not be read`);
      } else {
        this.xattrs.push({ rel, name, value: Buffer.from(value, 'utf8') });
      }
    }
  }

  private async whiteout(parent: string, base: string, entryName: string): Promise<void> {
    if (base === OPAQUE) {
      if (this.mode === 'overlay') {
        this.xattrs.push({ rel: parent, name: 'trusted.overlay.opaque', value: Buffer.from('y') });
      } else {
        await this.drain();
        for (const name of readdirSync(this.abs(parent))) {
          const child = parent ? `${parent}/${name}` : name;
          if (!this.written.has(child)) await this.replace(child, false);
        }
      }
      return;
    }
    if (base.startsWith(WHITEOUT + WHITEOUT)) {
      this.skipped.push(`${entryName}: aufs metadata is not unpacked`);
      return;
    }
    const name = base.slice(WHITEOUT.length);
    if (!name || name === '.' || name === '..') throw escape(entryName, 'a whiteout must name an entry in its directory');
    const rel = parent ? `${parent}/${name}` : name;
    await this.replace(rel, false);
    if (this.mode === 'overlay') this.whiteouts.push(rel);
  }
}

/** A tar name as a path relative to the root; '' is the root itself. Refuses `..` and absolute names. */
function cleanName(raw: string, entryName: string = raw): string {
  if (raw.startsWith('/')) throw escape(entryName, raw === entryName ? 'absolute path' : `absolute link target '${raw}'`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw escape(entryName, raw === entryName ? "'..' in the path" : `'..' in link target '${raw}'`);
  if (parts.some((p) => p.includes('\0'))) throw escape(entryName, 'NUL byte in the path');
  return parts.join('/');
}

function escape(entryName: string, why: string): DropshipError {
  return new DropshipError('UNPACK_ESCAPE', `layer entry '${entryName}' refused: ${why}`, {
    hint: 'the layer tries to write outside its root; it is malformed or malicious, do not use it',
  });
}

function lstatMaybe(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function mtimeOf(header: Header): number {
  return header.mtime ? header.mtime.getTime() / 1000 : 0;
}

/** setfattr --restore reads paths with unusual bytes as `\ooo` escapes. */
function quotePath(path: string): string {
  return [...Buffer.from(path)].map((b) => (b <= 0x20 || b >= 0x7f || b === 0x5c ? `\\${b.toString(8).padStart(3, '0')}` : String.fromCharCode(b))).join('');
}

async function run(command: string, args: string[], what: string, input?: string): Promise<void> {
  const result = await execa(command, args, { reject: false, input });
  if (result.exitCode === 0) return;
  const missing = result.exitCode === undefined;
  throw new DropshipError('UNPACK_TOOL_FAILED', `${what}: ${command} ${missing ? 'could not be run' : `exited ${result.exitCode}`}${result.stderr ? `: ${String(result.stderr).trim()}` : ''}`, {
    hint: missing
      ? `install it (${command === 'setfattr' ? 'apt-get install attr' : 'apt-get install coreutils'})`
      : 'overlay whiteouts and trusted.* xattrs need root on a filesystem with xattr support',
  });
}

