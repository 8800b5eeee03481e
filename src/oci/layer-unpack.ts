import { createHash } from 'node:crypto';
import {
  closeSync,
  constants as fsConstants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { lchown, lutimes, open, symlink } from 'node:fs/promises';
import { pipeline as streamPipeline, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { DropshipError, isDropshipError } from '../errors.js';
import { runTool } from '../util/run-tool.js';
import { hostGid, hostUid, type IdMap } from '../security/idmap.js';
import { ConfinedRoot, isAtOrBelow, lstatMaybe, parentOf, Unconfined } from './confined-root.js';
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
  /** How errors name the layer, e.g. `layer sha256:…`; default from expectedDiffId, else `layer`. */
  label?: string;
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
 * refused with an error naming the entry, before anything is written for them; nothing the
 * unpacker does, at the entry or at the end, goes through a symlink (see ConfinedRoot).
 * setuid/setgid bits and file capabilities are kept: they are the image's, for inside the
 * container (su, ping); the store keeps host users out of unpacked layers. `target` must be a
 * directory no other process writes while this runs (the unpack cache's are under a root-only
 * directory): the checks rely on it.
 */
export async function unpackLayer(source: Readable, target: string, options: UnpackOptions = {}): Promise<UnpackResult> {
  const label = options.label ?? (options.expectedDiffId ? `layer ${options.expectedDiffId}` : 'layer');
  let unpacker: Unpacker;
  try {
    unpacker = new Unpacker(target, options, label);
  } catch (error) {
    source.destroy();
    throw error;
  }
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

const { O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_WRONLY } = fsConstants;
/** A new file, never through a symlink at its name (O_EXCL fails on one, O_NOFOLLOW says so). */
const CREATE_FILE = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
/** A directory we are about to chown/chmod: opened without following, then changed through the fd. */
const OPEN_DIR = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;

/**
 * Applies entries in tar order. Directories and checks are synchronous (children need their parent,
 * and a check must not race a write). Small files and symlinks — thousands in a rootfs, each a
 * create, chown, chmod and utimes — are written in the background, several at once, because on a
 * busy disk each create waits on the journal and the waits overlap. Anything that depends on a
 * pending write (a hard link to it, replacing or deleting it) waits for the pending writes first.
 *
 * Every path goes through a ConfinedRoot (see there why lstat-checked parents are enough here).
 * Work that can only be done at the end (whiteout device nodes, xattrs, directory times) is kept
 * by relative path, dropped when a later entry removes that path (a later entry wins, as in any
 * tar), and resolved again when it runs.
 */
class Unpacker {
  count = 0;
  readonly skipped: string[] = [];
  private readonly tree: ConfinedRoot;
  /** Paths this layer wrote, which an opaque marker in `apply` mode must keep. */
  private readonly written = new Set<string>();
  private readonly dirTimes = new Map<string, { mtime: number; entry: string }>();
  /** Overlay whiteouts to make, by path, with the entry that asked for each. */
  private readonly whiteouts = new Map<string, string>();
  private readonly xattrs = new Map<string, { entry: string; values: Map<string, Buffer> }>();
  private readonly mode: 'overlay' | 'apply';
  private readonly pending = new Set<Promise<void>>();
  private readonly pendingPaths = new Set<string>();
  private failure: unknown;

  constructor(
    private readonly root: string,
    private readonly options: UnpackOptions,
    private readonly label: string,
  ) {
    this.mode = options.whiteouts ?? 'overlay';
    try {
      this.tree = new ConfinedRoot(root);
    } catch (error) {
      if (!(error instanceof Unconfined)) throw error;
      throw new DropshipError('UNPACK_TARGET', `cannot unpack ${label} into ${root}: it is ${error.reason === 'missing' ? 'missing' : error.reason === 'symlink' ? 'a symlink' : 'not a directory'}`, {
        hint: 'unpack into an existing real directory (not a symlink to one)',
      });
    }
  }

  async entry(entry: Entry): Promise<void> {
    const header = entry.header;
    if (this.failure) throw this.failure;
    this.count++;
    const rel = this.cleanName(header.name);
    const parent = parentOf(rel);
    const base = rel.slice(parent ? parent.length + 1 : 0);
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
      throw this.failed(header.name, error);
    }
  }

  /**
   * The deferred work, each item resolved again now through a fresh ConfinedRoot: whiteout nodes
   * (mknod, lchown), then xattrs (after every lchown, which clears security.capability), then
   * directory times, deepest first (creating the nodes above changed them).
   */
  async finish(): Promise<void> {
    await this.drain();
    const now = new ConfinedRoot(this.root);
    const at = (rel: string, entry: string, check: (stats: Stats | undefined) => boolean, why: string): string => {
      let path: string;
      let stats: Stats | undefined;
      try {
        path = now.child(rel);
        stats = lstatMaybe(path);
      } catch (error) {
        if (error instanceof Unconfined) throw this.unconfined(entry, error);
        throw error;
      }
      if (!check(stats)) {
        throw new DropshipError('UNPACK_ESCAPE', `${this.label} entry '${entry}' refused: ${why}`, {
          hint: 'the layer is malformed or malicious; do not use it',
        });
      }
      return path;
    };
    for (const [rel, entry] of this.whiteouts) {
      const path = at(rel, entry, (s) => s === undefined, `something is already at ${rel}, where its whiteout goes`);
      await run('mknod', ['-m', '000', path, 'c', '0', '0'], `${this.label} entry '${entry}': whiteout ${rel}`);
      if (this.options.idMap) lchownSync(path, hostUid(this.options.idMap, 0), hostGid(this.options.idMap, 0));
    }
    if (this.xattrs.size > 0) {
      const records: string[] = [];
      for (const [rel, { entry, values }] of this.xattrs) {
        const path = at(rel, entry, (s) => s !== undefined && (s.isFile() || s.isDirectory()), `${rel} is no longer a file or directory when its xattrs are set`);
        for (const [name, value] of values) records.push(`# file: ${quotePath(path)}\n${name}=0x${value.toString('hex')}\n`);
      }
      // One setfattr for all of them (Node has no xattr calls); -h: never through a link.
      await run('setfattr', ['-h', '--restore=-'], `${this.label}: setting extended attributes`, records.join('\n'));
    }
    const byDepth = [...this.dirTimes].sort((a, b) => b[0].split('/').length - a[0].split('/').length);
    for (const [rel, { mtime, entry }] of byDepth) {
      let path: string;
      try {
        path = now.dir(rel);
      } catch (error) {
        if (error instanceof Unconfined) throw this.unconfined(entry, error);
        throw error;
      }
      lutimesSync(path, mtime, mtime);
    }
  }

  /** Make sure `rel` is a real directory inside the root, creating missing parents root-owned. */
  private async ensureDir(rel: string, entryName: string): Promise<void> {
    if (this.tree.isKnownDir(rel)) return;
    // A pending symlink at one of the components must exist before the component is checked.
    if (this.pendingPaths.size > 0 && rel.split('/').some((_, i, parts) => this.pendingPaths.has(parts.slice(0, i + 1).join('/')))) {
      await this.drain();
    }
    try {
      this.tree.dir(rel, (abs, sub) => {
        mkdirSync(abs, { mode: 0o700 });
        this.setDir(abs, this.options.idMap ? { uid: hostUid(this.options.idMap, 0), gid: hostGid(this.options.idMap, 0) } : undefined, 0o755);
        this.written.add(sub);
        // A later entry wins over a whiteout of the same path, even one that only implies it.
        this.whiteouts.delete(sub);
      });
    } catch (error) {
      if (error instanceof Unconfined) throw this.unconfined(entryName, error);
      throw error;
    }
  }

  /**
   * Clear the way for a new entry at `rel` (its parent already checked); an existing directory
   * stays when a directory comes. Whatever is removed takes its deferred work with it.
   */
  private async replace(rel: string, keepDirectory: boolean): Promise<boolean> {
    if (this.pendingPaths.has(rel)) await this.drain();
    let stats = lstatMaybe(this.tree.abs(rel));
    // A later entry at a whited-out path supersedes the whiteout.
    this.whiteouts.delete(rel);
    if (!stats) return false;
    if (keepDirectory && stats.isDirectory()) return true;
    if (this.pending.size > 0) {
      // Pending writes may be inside what is about to go.
      await this.drain();
      stats = lstatMaybe(this.tree.abs(rel));
      if (!stats) return false;
    }
    rmSync(this.tree.abs(rel), { recursive: true, force: true });
    this.tree.forget(rel);
    for (const deferred of [this.dirTimes, this.whiteouts, this.xattrs]) {
      for (const key of deferred.keys()) if (isAtOrBelow(key, rel)) deferred.delete(key);
    }
    return false;
  }

  /** chown and chmod a directory through an fd opened without following a link. */
  private setDir(abs: string, ids: { uid: number; gid: number } | undefined, mode: number): void {
    const fd = openSync(abs, OPEN_DIR);
    try {
      if (ids) fchownSync(fd, ids.uid, ids.gid);
      fchmodSync(fd, mode);
    } finally {
      closeSync(fd);
    }
  }

  private async directory(rel: string, parent: string, header: Header): Promise<void> {
    if (rel !== '') {
      await this.ensureDir(parent, header.name);
      if (!(await this.replace(rel, true))) mkdirSync(this.tree.abs(rel), { mode: 0o700 });
      this.tree.remember(rel);
    }
    this.setDir(this.tree.abs(rel), this.ids(header), (header.mode ?? 0o755) & 0o7777);
    this.dirTimes.set(rel, { mtime: mtimeOf(header), entry: header.name });
    this.collectXattrs(rel, header);
    this.written.add(rel);
  }

  private async file(entry: Entry, rel: string, parent: string, header: Header): Promise<void> {
    if (rel === '') throw this.escape(header.name, 'a file cannot replace the root');
    await this.ensureDir(parent, header.name);
    await this.replace(rel, false);
    const path = this.tree.abs(rel);
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
        const handle = await open(path, CREATE_FILE, 0o600);
        try {
          await handle.writeFile(data);
          if (ids) await handle.chown(ids.uid, ids.gid);
          // After the chown, which clears setuid/setgid bits.
          await handle.chmod(mode);
          await handle.utimes(mtime, mtime);
        } finally {
          await handle.close();
        }
      });
      return;
    }
    const fd = openSync(path, CREATE_FILE, 0o600);
    try {
      for await (const chunk of entry) writeSync(fd, chunk);
      if (ids) fchownSync(fd, ids.uid, ids.gid);
      fchmodSync(fd, mode);
      futimesSync(fd, mtime, mtime);
    } finally {
      closeSync(fd);
    }
  }

  private async symlink(rel: string, parent: string, header: Header): Promise<void> {
    if (rel === '') throw this.escape(header.name, 'a symlink cannot replace the root');
    await this.ensureDir(parent, header.name);
    await this.replace(rel, false);
    const path = this.tree.abs(rel);
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
        this.failure ??= this.failed(entryName, error);
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
    const targetRel = this.cleanName(header.linkname ?? '', header.name);
    if (targetRel === '') throw this.escape(header.name, 'a hard link to the root');
    await this.ensureDir(parentOf(targetRel), header.name);
    if (this.pendingPaths.has(targetRel)) await this.drain();
    const stats = lstatMaybe(this.tree.abs(targetRel));
    if (!stats || stats.isDirectory()) {
      throw new DropshipError('UNPACK_BAD_LINK', `${this.label} entry '${header.name}': hard link target '${header.linkname}' is ${stats ? 'a directory' : 'missing'}`, {
        hint: 'the layer is malformed; a hard link must follow the file it links to',
      });
    }
    await this.ensureDir(parent, header.name);
    if (rel === targetRel) return;
    await this.replace(rel, false);
    // link(2) does not follow a symlink target: a link to a symlink links the symlink itself.
    linkSync(this.tree.abs(targetRel), this.tree.abs(rel));
    this.written.add(rel);
  }

  /** Host ids for the entry's owner, or undefined when ids are not shifted. */
  private ids(header: Header): { uid: number; gid: number } | undefined {
    const map = this.options.idMap;
    if (!map) return undefined;
    try {
      return { uid: hostUid(map, header.uid ?? 0), gid: hostGid(map, header.gid ?? 0) };
    } catch (error) {
      throw new DropshipError('UNPACK_UNMAPPED_ID', `${this.label} entry '${header.name}': ${(error as Error).message}`, {
        cause: error,
        hint: 'files in a layer must be owned by ids inside the container id map (0–65535)',
      });
    }
  }

  private setXattr(rel: string, entry: string, name: string, value: Buffer): void {
    const known = this.xattrs.get(rel);
    if (known) {
      known.entry = entry;
      known.values.set(name, value);
    } else {
      this.xattrs.set(rel, { entry, values: new Map([[name, value]]) });
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
        this.setXattr(rel, header.name, name, Buffer.from(value, 'utf8'));
      }
    }
  }

  private async whiteout(parent: string, base: string, entryName: string): Promise<void> {
    if (base === OPAQUE) {
      if (this.mode === 'overlay') {
        this.setXattr(parent, entryName, 'trusted.overlay.opaque', Buffer.from('y'));
      } else {
        await this.drain();
        for (const name of readdirSync(this.tree.abs(parent))) {
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
    if (!name || name === '.' || name === '..') throw this.escape(entryName, 'a whiteout must name an entry in its directory');
    const rel = parent ? `${parent}/${name}` : name;
    await this.replace(rel, false);
    if (this.mode === 'overlay') this.whiteouts.set(rel, entryName);
  }

  /** A tar name as a path relative to the root; '' is the root itself. Refuses `..` and absolute names. */
  private cleanName(raw: string, entryName: string = raw): string {
    if (raw.startsWith('/')) throw this.escape(entryName, raw === entryName ? 'absolute path' : `absolute link target '${raw}'`);
    const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) throw this.escape(entryName, raw === entryName ? "'..' in the path" : `'..' in link target '${raw}'`);
    if (parts.some((p) => p.includes('\0'))) throw this.escape(entryName, 'NUL byte in the path');
    return parts.join('/');
  }

  private escape(entryName: string, why: string): DropshipError {
    return new DropshipError('UNPACK_ESCAPE', `${this.label} entry '${entryName}' refused: ${why}`, {
      hint: 'the layer tries to write outside its root; it is malformed or malicious, do not use it',
    });
  }

  private unconfined(entryName: string, error: Unconfined): DropshipError {
    if (error.reason === 'symlink') {
      return this.escape(entryName, `its parent ${error.component} is a symlink, and writing through it could leave the root`);
    }
    return new DropshipError('UNPACK_NOT_A_DIRECTORY', `${this.label} entry '${entryName}': ${error.component} is ${error.reason === 'missing' ? 'missing' : 'not a directory'}`, {
      hint: 'the layer is malformed; rebuild it',
    });
  }

  private failed(entryName: string, error: unknown): DropshipError {
    return new DropshipError('UNPACK_FAILED', `${this.label} entry '${entryName}': cannot unpack into ${this.root}: ${(error as Error).message}`, {
      cause: error,
      hint: 'check free space and that the target is on a local filesystem that supports ownership and xattrs',
    });
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
  const result = await runTool(command, args, input === undefined ? {} : { input });
  if (result.exitCode === 0) return;
  const missing = result.exitCode === undefined;
  throw new DropshipError('UNPACK_TOOL_FAILED', `${what}: ${command} ${missing ? 'could not be run' : `exited ${result.exitCode}`}${result.stderr ? `: ${result.stderr.trim()}` : ''}`, {
    hint: missing
      ? `install it (${command === 'setfattr' ? 'apt-get install attr' : 'apt-get install coreutils'})`
      : 'overlay whiteouts and trusted.* xattrs need root on a filesystem with xattr support',
  });
}

