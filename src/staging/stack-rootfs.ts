import { homePaths } from '../home.js';
import { ensureUnpacked } from '../oci/index.js';
import type { IdMap } from '../security/idmap.js';
import { ensureStack } from '../stack/index.js';

/** The stack's base layer, built once and unpacked once per id map (both cached by their rooms). */
export async function stackRootfs(stack: string, idMap: IdMap, home?: string): Promise<string[]> {
  const paths = homePaths(home);
  const info = await ensureStack(stack, { home: paths });
  return [await ensureUnpacked(info.diffId, idMap, paths)];
}
