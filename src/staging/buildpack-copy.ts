import { join } from 'node:path';
import type { Buildpack } from '../buildpack/index.js';
import { DropshipError } from '../errors.js';
import { copyTreeNoFollow } from '../util/copy-tree.js';
import type { Owner } from '../util/no-follow.js';

/**
 * A writable copy of every buildpack of this staging, owned by vcap, under `dir/<i>`.
 *
 * Real buildpacks write into their own directory: Heroku's `export` convention (`$BP_DIR/export`,
 * sourced by the next buildpack), compiled helpers, downloaded tools. A read-only mount breaks them;
 * a shared writable one would let one staging change what the next one runs. So each staging gets
 * its own copy and the registered buildpack is never written. The copy is made without following
 * links and removed with the staging's work dir; the host never reads what the buildpack wrote there.
 */
export async function writableBuildpacks(buildpacks: Buildpack[], dir: string, owner: Owner): Promise<string[]> {
  return Promise.all(buildpacks.map(async (bp, i) => {
    const to = join(dir, String(i));
    await copyTreeNoFollow(bp.dir, to, {
      owner,
      // The buildpack's own modes (executable scripts stay executable), plus what its owner needs to write.
      mode: (mode, isDirectory) => (mode & 0o755) | (isDirectory ? 0o700 : 0o600),
      unreadable: (path, error) => new DropshipError('BUILDPACK_UNREADABLE', `buildpack '${bp.name}': cannot read ${path}: ${(error as Error).message}`, {
        hint: 'check the buildpack directory (dropship buildpacks shows where it lives)',
        cause: error,
      }),
    });
    return to;
  }));
}
