import { createHash, type Hash } from 'node:crypto';
import { DropshipError } from '../errors.js';

/** A content address. Only sha256 is written or accepted: it is what the OCI specs require. */
export type Digest = `sha256:${string}`;

/** What points at a blob: the OCI descriptor's fields that dropship needs. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST_RE.test(value);
}

/** Validate a digest from outside (a file, a registry, a user); `what` names where it came from. */
export function parseDigest(value: unknown, what = 'digest'): Digest {
  if (!isDigest(value)) {
    throw new DropshipError('INVALID_DIGEST', `${what}: '${String(value)}' is not a sha256 digest`, {
      hint: 'a digest is sha256: followed by 64 lowercase hex characters',
    });
  }
  return value;
}

export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

export function sha256Digest(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A pipeline stage that feeds every chunk to `hash` on its way through: digests in the same pass as the write. */
export function hashThrough(hash: Hash): (chunks: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  return async function* (chunks) {
    for await (const chunk of chunks) {
      hash.update(chunk);
      yield chunk;
    }
  };
}

/**
 * Reject a malformed descriptor before anything is opened with it: a bad digest could name a
 * path outside the store, a bad size would make verification meaningless.
 */
export function validateDescriptor(value: unknown, what = 'descriptor'): Descriptor {
  if (typeof value !== 'object' || value === null) {
    throw new DropshipError('INVALID_DESCRIPTOR', `${what}: not an object`, { hint: 'a descriptor has mediaType, digest and size' });
  }
  const d = value as Record<string, unknown>;
  parseDigest(d.digest, `${what}.digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new DropshipError('INVALID_DESCRIPTOR', `${what}.size: '${String(d.size)}' is not a non-negative integer`, {
      hint: 'the descriptor is damaged; rebuild or pull the image again',
    });
  }
  if (d.mediaType !== undefined && typeof d.mediaType !== 'string') {
    throw new DropshipError('INVALID_DESCRIPTOR', `${what}.mediaType: not a string`, {
      hint: 'the descriptor is damaged; rebuild or pull the image again',
    });
  }
  return value as Descriptor;
}
