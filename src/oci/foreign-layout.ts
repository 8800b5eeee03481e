import { constants as fsConstants } from 'node:fs';
import { type FileHandle, lstat, open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DropshipError } from '../errors.js';
import { type Descriptor, digestHex, validateDescriptor } from './digest.js';

const { O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_RDONLY } = fsConstants;
/** index.json is small; a huge one is an attack or a mistake. */
export const MAX_INDEX_BYTES = 16 * 1024 * 1024;

/**
 * An OCI layout directory handed to `image import`: whoever made it may have put symlinks in it
 * (index.json → /etc/shadow, blobs → /root) or swap them in while dropship reads, so nothing under
 * the directory is opened by path. Each component is opened beneath the fd of its parent through
 * /proc/self/fd/N/<name> (Node has no openat; a path through that magic link resolves from the
 * directory the fd holds, whatever was renamed since) with O_NOFOLLOW, and must be what it should
 * be (a directory, a regular file) by fstat of what was opened. O_NONBLOCK keeps a FIFO planted
 * as a blob from hanging the import. The directory itself is the operator's argument: it may be
 * a symlink the operator typed.
 */
export class ForeignLayout {
  constructor(readonly dir: string) {}

  /** The bytes of index.json, at most MAX_INDEX_BYTES. */
  async readIndexText(): Promise<string> {
    const top = await this.openDir();
    try {
      const file = await openBeneath(top, 'index.json', 'file', `${this.dir}/index.json`);
      try {
        const { size } = await file.stat();
        if (size > MAX_INDEX_BYTES) {
          throw new DropshipError('IMPORT_BAD_ENTRY', `${this.dir}/index.json is ${size} bytes, more than an image index can be`, {
            hint: 'give an OCI layout directory (oci-layout, index.json, blobs/sha256/)',
          });
        }
        return (await file.readFile()).toString('utf8');
      } finally {
        await file.close();
      }
    } finally {
      await top.close();
    }
  }

  /**
   * A stream of one blob, checked to be a regular file of the descriptor's size; the caller
   * verifies the digest while it streams (the store's writeStream with expectedDigest).
   */
  async openBlob(descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<Readable> {
    const { digest, size } = validateDescriptor(descriptor, `${this.dir} blob`);
    const where = `${this.dir}/blobs/sha256/${digestHex(digest)}`;
    const top = await this.openDir();
    let file: FileHandle;
    try {
      const blobs = await openBeneath(top, 'blobs', 'directory', `${this.dir}/blobs`);
      try {
        const sha = await openBeneath(blobs, 'sha256', 'directory', `${this.dir}/blobs/sha256`);
        try {
          file = await openBeneath(sha, digestHex(digest), 'file', where);
        } finally {
          await sha.close();
        }
      } finally {
        await blobs.close();
      }
    } finally {
      await top.close();
    }
    const actual = (await file.stat()).size;
    if (actual !== size) {
      await file.close();
      throw new DropshipError('BLOB_SIZE_MISMATCH', `blob ${digest} (${where}): expected ${size} bytes, the file has ${actual}`, {
        hint: 'the layout is damaged; export the image again',
      });
    }
    return file.createReadStream({ highWaterMark: 1024 * 1024 });
  }

  private async openDir(): Promise<FileHandle> {
    try {
      return await open(this.dir, O_RDONLY | O_DIRECTORY);
    } catch (error) {
      throw new DropshipError('IMPORT_SOURCE', `cannot import ${this.dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
        cause: error,
        hint: 'give an OCI layout directory or an OCI archive (.tar)',
      });
    }
  }
}

/** openat(parent, name, O_NOFOLLOW) by way of /proc/self/fd, checked to be `kind` by fstat. */
async function openBeneath(parent: FileHandle, name: string, kind: 'file' | 'directory', where: string): Promise<FileHandle> {
  const path = `/proc/self/fd/${parent.fd}/${name}`;
  let handle: FileHandle;
  try {
    handle = await open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | (kind === 'directory' ? O_DIRECTORY : 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw notPlain(where, kind, 'a symlink');
    // O_DIRECTORY|O_NOFOLLOW on a symlink says ENOTDIR too; lstat only words the message.
    if (code === 'ENOTDIR') throw notPlain(where, kind, (await lstat(path).catch(() => undefined))?.isSymbolicLink() ? 'a symlink' : 'not a directory');
    if (code === 'ENOENT') {
      throw new DropshipError('IMPORT_BLOB_MISSING', `${where} is missing`, { cause: error, hint: 'the layout is incomplete; export the image again' });
    }
    throw new DropshipError('IMPORT_UNREADABLE', `cannot open ${where}: ${code ?? (error as Error).message}`, { cause: error, hint: 'give an OCI layout directory dropship can read' });
  }
  const stats = await handle.stat();
  if (kind === 'file' && !stats.isFile()) {
    await handle.close();
    throw notPlain(where, kind, 'not a regular file');
  }
  return handle;
}

function notPlain(where: string, kind: string, what: string): DropshipError {
  return new DropshipError('IMPORT_BAD_ENTRY', `${where} is ${what}; an OCI layout given to import must hold a plain ${kind} there`, {
    hint: 'a link there could make dropship read files outside the layout; the layout is damaged or hostile, export the image again',
  });
}
