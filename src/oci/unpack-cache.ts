import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { homePaths, type HomePaths } from '../home.js';
import { hostGid, hostUid, idMapKey, type IdMap } from '../security/idmap.js';
import { isDirectory, readdirIfExists } from '../util/fs.js';
import { withLock } from '../util/lock.js';
import { type Descriptor, type Digest, digestHex, parseDigest } from './digest.js';
import { openStore } from './layout.js';
import { isGzipLayer, MediaType } from './media-types.js';

/**
 * A layer to unpack: the diff_id of an uncompressed layer in the store (its digest too), or the
 * manifest's descriptor plus the config's diff_id (needed when the blob is compressed).
 */
export type LayerRef = Digest | (Pick<Descriptor, 'digest' | 'size'> & { mediaType?: string; diffId?: Digest });

export interface UnpackedLayer {
  path: string;
  /** Hex of the diff_id the directory holds. */
  diffIdHex: string;
  idMapKey: string;
}

/** A big layer on a slow disk takes a while; the other process waits rather than unpacking twice. */
const LOCK_TIMEOUT_MS = 15 * 60_000;

function cacheName(diffId: Digest, idMap: IdMap): string {
  return `${digestHex(diffId)}-${idMapKey(idMap)}`;
}

function diffIdOf(layer: LayerRef): Digest {
  if (typeof layer === 'string') return parseDigest(layer, 'layer diff_id');
  if (layer.diffId) return parseDigest(layer.diffId, 'layer diff_id');
  if (layer.mediaType && isGzipLayer(layer.mediaType)) {
    throw new DropshipError('UNPACK_NEEDS_DIFFID', `layer ${layer.digest} is compressed and no diff_id was given`, {
      hint: "pass the diff_id from the image config's rootfs.diff_ids with the descriptor",
    });
  }
  return parseDigest(layer.digest, 'layer digest');
}

/** Where ensureUnpacked puts (or has put) this layer for this id map. */
export function unpackedPath(layer: LayerRef, idMap: IdMap, home: HomePaths = homePaths()): string {
  return join(home.unpacked, cacheName(diffIdOf(layer), idMap));
}

/**
 * The layer unpacked once per id map, ids shifted, whiteouts in overlayfs form: a directory to use
 * as an overlay lowerdir, shared by every container of that map. Unpacked into a temp directory
 * and renamed, under a lock, so two processes asking at once unpack once and nobody sees half a
 * tree. A second call costs one stat.
 */
export async function ensureUnpacked(layer: LayerRef, idMap: IdMap, home: HomePaths = homePaths()): Promise<string> {
  const diffId = diffIdOf(layer);
  const name = cacheName(diffId, idMap);
  const final = join(home.unpacked, name);
  if (await isDirectory(final)) return final;
  await privateUnpackDir(home.unpacked);
  return withLock(
    join(home.locks, `unpack-${name}.lock`),
    async () => {
      if (await isDirectory(final)) return final;
      // Under the lock a leftover temp dir of this layer can only be from a process that died.
      for (const entry of await readdir(home.unpacked)) {
        if (entry.startsWith(`.tmp-${name}-`)) await rm(join(home.unpacked, entry), { recursive: true, force: true });
      }
      const { blobs } = openStore(home);
      const descriptor =
        typeof layer === 'string'
          ? { digest: diffId, size: await blobSize(blobs.path(diffId), diffId), mediaType: MediaType.layer }
          : layer;
      const temp = join(home.unpacked, `.tmp-${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
      await mkdir(temp, { mode: 0o755 });
      try {
        await chown(temp, hostUid(idMap, 0), hostGid(idMap, 0));
        // Loaded only on a miss: tar-stream and the unpacker cost ~55 ms of start-up that a cache hit
        // (every instance after the first) never needs.
        const { unpackLayer } = await import('./layer-unpack.js');
        await unpackLayer(await blobs.openRead(descriptor), temp, { idMap, whiteouts: 'overlay', expectedDiffId: diffId, label: `layer ${descriptor.digest}` });
        await rename(temp, final);
      } catch (error) {
        await rm(temp, { recursive: true, force: true });
        throw error;
      }
      return final;
    },
    { timeoutMs: LOCK_TIMEOUT_MS },
  );
}

/**
 * The directory of unpacked layers is root's alone (0700): layers keep their setuid files and
 * capabilities for use inside containers, so no host user may reach them, and the unpacker's
 * checks rely on being the only writer of a tree while it unpacks (see ConfinedRoot). Overlayfs
 * reads lowerdirs with the mounter's credentials, so container root needs no way in.
 */
async function privateUnpackDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await lstat(dir);
  if (!info.isDirectory() || info.uid !== process.getuid?.()) {
    throw new DropshipError('UNPACK_DIR_UNSAFE', `${dir} is ${info.isSymbolicLink() ? 'a symlink' : info.isDirectory() ? `owned by uid ${info.uid}` : 'not a directory'}; unpacked layers go only into a directory of the store's owner`, {
      hint: `remove ${dir}; dropship creates it again`,
    });
  }
  if ((info.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

/** Every unpacked layer in the cache (for gc): temp dirs of unpacks in progress are not listed. */
export async function listUnpacked(home: HomePaths = homePaths()): Promise<UnpackedLayer[]> {
  return (await readdirIfExists(home.unpacked))
    .map((n) => /^([a-f0-9]{64})-(.+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ path: join(home.unpacked, m[0]), diffIdHex: m[1]!, idMapKey: m[2]! }));
}

async function blobSize(path: string, digest: Digest): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    throw new DropshipError('BLOB_MISSING', `layer ${digest} is not in the store (${path})`, {
      cause: error,
      hint: 'build the stack or image again (dropship stack build / image build), or pull it',
    });
  }
}
