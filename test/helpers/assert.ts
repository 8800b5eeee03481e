import * as assert from 'uvu/assert';
import { DropshipError } from '../../src/errors.js';

/** Assert that `fn` rejects with a message matching `pattern`; the error is returned for further checks. */
export async function rejects(fn: () => Promise<unknown>, pattern: RegExp): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    assert.match((error as Error).message, pattern);
    return error as Error;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
  throw new Error('unreachable');
}

/** The whole of a small test stream, to compare with what went in. */
export async function drain(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** True (after saying why) when the test needs root and this is not root: the test returns early. */
export function skipUnlessRoot(why: string): boolean {
  if (process.getuid?.() === 0) return false;
  console.log(`skipped: ${why}`);
  return true;
}

/** The DropshipError `fn` throws (synchronously); fails the test when it throws nothing or something else. */
export function refused(fn: () => unknown): DropshipError {
  try {
    fn();
  } catch (error) {
    assert.instance(error, DropshipError);
    return error as DropshipError;
  }
  throw new Error('expected an error');
}
