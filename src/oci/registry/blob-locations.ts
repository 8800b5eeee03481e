import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeJsonAtomic } from '../../util/atomic.js';
import { withLock } from '../../util/lock.js';
import type { Store } from '../layout.js';

type Locations = Record<string, Record<string, string>>;

/**
 * Which repository of a registry we last saw holding a blob, so a push to another repository
 * of the same registry can ask for a cross-repository mount instead of uploading the bytes.
 */
function locationsPath(store: Store): string {
  return join(dirname(store.layout.dir), 'registry-blobs.json');
}

async function read(path: string): Promise<Locations> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Locations;
  } catch {
    return {};
  }
}

export async function knownRepository(store: Store, registry: string, digest: string): Promise<string | undefined> {
  return (await read(locationsPath(store)))[registry]?.[digest];
}

export async function rememberRepository(store: Store, registry: string, repository: string, digests: string[]): Promise<void> {
  const path = locationsPath(store);
  await withLock(`${path}.lock`, async () => {
    const all = await read(path);
    const forRegistry = (all[registry] ??= {});
    for (const digest of digests) forRegistry[digest] = repository;
    await writeJsonAtomic(path, all);
  });
}
