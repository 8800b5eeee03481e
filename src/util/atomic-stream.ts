import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { tempPathFor } from './atomic.js';

/**
 * Stream a large file (droplet, archive, download) into place: `write` pipes into a temp file
 * beside `target`, which is renamed over it only when `write` resolves. A failure, a full disk or
 * an interrupt leaves no half-written `target` behind.
 */
export async function writeStreamAtomic(target: string, write: (out: WriteStream) => Promise<unknown>, options: { mode?: number } = {}): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  try {
    await write(createWriteStream(temp, { mode: options.mode ?? 0o644 }));
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
