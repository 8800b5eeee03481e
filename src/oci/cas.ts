import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, pipeline as streamPipeline, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DropshipError } from '../errors.js';
import { isFile, readdirIfExists } from '../util/fs.js';
import { type Descriptor, type Digest, digestHex, isDigest, parseDigest, validateDescriptor } from './digest.js';

export interface WriteOptions {
  /** Reject the blob (and leave nothing behind) unless it hashes to this. */
  expectedDigest?: Digest;
  expectedSize?: number;
}

export interface WrittenBlob {
  digest: Digest;
  size: number;
  /** False when the store already had the blob: the new copy was dropped, not renamed over it. */
  written: boolean;
}

/** JSON blobs (manifests, configs, indexes) are small; a huge one is an attack or a mistake. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/**
 * A content-addressed blob store in an OCI layout's `blobs/sha256/`. Blobs are hashed while they
 * are written to a temp file in the layout, synced and renamed, so a blob path either holds the
 * complete content of its name or does not exist. Reads verify size and digest while streaming.
 */
export class BlobStore {
  readonly dir: string;
  private readonly tmpDir: string;

  constructor(readonly layoutDir: string) {
    this.dir = join(layoutDir, 'blobs', 'sha256');
    this.tmpDir = join(layoutDir, '.tmp');
  }

  path(digest: Digest): string {
    return join(this.dir, digestHex(parseDigest(digest)));
  }

  async has(digest: Digest): Promise<boolean> {
    return isFile(this.path(digest));
  }

  async writeStream(source: Readable | AsyncIterable<Uint8Array>, options: WriteOptions = {}): Promise<WrittenBlob> {
    if (options.expectedDigest !== undefined) parseDigest(options.expectedDigest, 'expected digest');
    await mkdir(this.dir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
    const temp = join(this.tmpDir, `blob-${process.pid}-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Uint8Array>) {
          for await (const chunk of chunks) {
            size += chunk.length;
            if (options.expectedSize !== undefined && size > options.expectedSize) {
              throw new DropshipError('BLOB_SIZE_MISMATCH', `blob ${options.expectedDigest ?? '(being written)'} is larger than the expected ${options.expectedSize} bytes`, {
                hint: 'the source sent more data than its descriptor says; it is damaged or not what was asked for',
              });
            }
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(temp, { flags: 'wx', mode: 0o644 }),
      );
      // fsync through a second descriptor: Linux flushes the inode's pages whichever fd asks.
      const handle = await open(temp, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    const digest: Digest = `sha256:${hash.digest('hex')}`;
    try {
      if (options.expectedSize !== undefined && size !== options.expectedSize) {
        throw new DropshipError('BLOB_SIZE_MISMATCH', `blob ${options.expectedDigest ?? digest}: expected ${options.expectedSize} bytes, got ${size}`, {
          hint: 'the source sent less data than its descriptor says; it is damaged or was cut off',
        });
      }
      if (options.expectedDigest !== undefined && digest !== options.expectedDigest) {
        throw new DropshipError('BLOB_DIGEST_MISMATCH', `blob ${options.expectedDigest}: content hashes to ${digest}`, {
          hint: 'the source is damaged or not what was asked for; fetch it again',
        });
      }
      if (await this.has(digest)) {
        await rm(temp, { force: true });
        return { digest, size, written: false };
      }
      await rename(temp, this.path(digest));
      return { digest, size, written: true };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async writeBytes(data: string | Uint8Array): Promise<WrittenBlob> {
    return this.writeStream(Readable.from([typeof data === 'string' ? Buffer.from(data) : data]));
  }

  async writeJson(value: unknown): Promise<WrittenBlob> {
    return this.writeBytes(JSON.stringify(value));
  }

  /**
   * A stream of the blob that errors (with a DropshipError naming the blob) when its size or
   * digest is not the descriptor's. Consumers must treat data as untrusted until the stream ends.
   */
  async openRead(descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<Readable> {
    const { digest, size } = validateDescriptor(descriptor, 'blob descriptor');
    const path = this.path(digest);
    let actual: number;
    try {
      actual = (await stat(path)).size;
    } catch (error) {
      throw new DropshipError('BLOB_MISSING', `blob ${digest} is not in the store (${path})`, {
        cause: error,
        hint: 'the store lost a blob an image needs; rebuild or pull the image again',
      });
    }
    if (actual !== size) {
      throw new DropshipError('BLOB_SIZE_MISMATCH', `blob ${digest} (${path}): expected ${size} bytes, the file has ${actual}`, {
        hint: 'the blob file was changed or truncated; remove it and rebuild or pull the image again',
      });
    }
    const verify = new VerifyStream(digest, size, path);
    streamPipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), verify, () => undefined);
    return verify;
  }

  async readBytes(descriptor: Pick<Descriptor, 'digest' | 'size'>, maxBytes = MAX_JSON_BYTES): Promise<Buffer> {
    validateDescriptor(descriptor, 'blob descriptor');
    if (descriptor.size > maxBytes) {
      throw new DropshipError('BLOB_TOO_LARGE', `blob ${descriptor.digest} is ${descriptor.size} bytes, more than the ${maxBytes} allowed here`, {
        hint: 'the descriptor does not point at a manifest or config; the image is damaged',
      });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of await this.openRead(descriptor)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async readJson<T = unknown>(descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<T> {
    const data = await this.readBytes(descriptor);
    try {
      return JSON.parse(data.toString('utf8')) as T;
    } catch (error) {
      throw new DropshipError('BLOB_NOT_JSON', `blob ${descriptor.digest} is not valid JSON`, {
        cause: error,
        hint: 'the descriptor points at the wrong blob or the image is damaged',
      });
    }
  }

  async size(digest: Digest): Promise<number | undefined> {
    try {
      return (await stat(this.path(digest))).size;
    } catch {
      return undefined;
    }
  }

  async remove(digest: Digest): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  async list(): Promise<Digest[]> {
    return (await readdirIfExists(this.dir)).map((n) => `sha256:${n}`).filter(isDigest).sort();
  }
}

/** Pass-through that checks size on the way and the digest at the end. */
class VerifyStream extends Transform {
  private readonly hash = createHash('sha256');
  private seen = 0;

  constructor(
    private readonly digest: Digest,
    private readonly expectedSize: number,
    private readonly path: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.expectedSize) {
      callback(this.mismatch(`more than the expected ${this.expectedSize} bytes`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.seen !== this.expectedSize) {
      callback(this.mismatch(`${this.seen} bytes, expected ${this.expectedSize}`));
      return;
    }
    const actual = `sha256:${this.hash.digest('hex')}`;
    callback(actual === this.digest ? null : this.mismatch(`content hashes to ${actual}`));
  }

  private mismatch(what: string): DropshipError {
    return new DropshipError('BLOB_CORRUPT', `blob ${this.digest} (${this.path}) is corrupt: ${what}`, {
      hint: 'the blob was changed on disk; remove it (dropship gc) and rebuild or pull the image again',
    });
  }
}
