import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { packDirectory } from '../oci/index.js';
import { VCAP_GID, VCAP_UID } from '../security/idmap.js';
import { tempPathFor } from '../util/atomic.js';

export interface WrittenDroplet {
  path: string;
  /** `sha256:<hex>` of the .tgz as written. */
  digest: string;
  bytes: number;
}

/**
 * The droplet: a reproducible tar of the staging tree (sorted, fixed mtimes, every entry vcap's,
 * no names) through gzip (Node's gzip header carries no timestamp), written to a temp path and
 * renamed, so a failed or interrupted staging never leaves a half-written droplet.
 */
export async function writeDroplet(tree: string, target: string, options: { mtime?: number } = {}): Promise<WrittenDroplet> {
  await mkdir(dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(
      packDirectory(tree, { owner: { uid: VCAP_UID, gid: VCAP_GID }, xattrs: false, mtime: options.mtime }),
      createGzip(),
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          bytes += chunk.length;
          callback(null, chunk);
        },
      }),
      createWriteStream(temp, { mode: 0o644 }),
    );
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return { path: target, digest: `sha256:${hash.digest('hex')}`, bytes };
}
