import { join } from 'node:path';
import { withLock } from '../util/lock.js';
import type { Store } from './layout.js';

/**
 * Held by everything that writes blobs before tagging them (build, rebase, pull, import) and by
 * gc, so gc never sweeps a blob between its write and the tag that makes it referenced.
 */
export function withImageLock<T>(store: Store, fn: () => Promise<T>): Promise<T> {
  return withLock(join(store.layout.dir, '.images.lock'), fn, { timeoutMs: 30 * 60_000 });
}
