import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile, open } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

/** A temp path beside `target`, so that the final rename stays on one filesystem. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Write a whole file so that readers see either the old content or the new, never a part. */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options: { mode?: number } = {},
): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  try {
    await writeFile(temp, data, { mode: options.mode ?? 0o644 });
    const handle = await open(temp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export async function writeJsonAtomic(target: string, value: unknown, options: { mode?: number } = {}): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n', options);
}
