import { DropshipError } from '../errors.js';
import { formatBytes } from '../util/units.js';

/**
 * What one buildpack archive may expand to. The archive may come from a URL in anyone's manifest
 * and is extracted on the host, into the store: a gzip or zip bomb (a few MiB that expand to
 * terabytes, or millions of empty files) must be refused before it fills the disk or its inodes.
 * The largest real buildpacks (offline Cloud Foundry ones, with every runtime cached) are ~2 GiB.
 */
export interface ArchiveLimits {
  maxBytes: number;
  maxEntries: number;
}

export const ARCHIVE_LIMITS: ArchiveLimits = { maxBytes: 8 * 1024 ** 3, maxEntries: 500_000 };

/**
 * Counts members and bytes as an archive is read, and refuses the one that goes over a limit. A
 * member is any inode it makes, a parent directory no header names included; its bytes are what a
 * copy of it writes (each staging copies its buildpacks: a hard link becomes a whole file).
 */
export function expansionBudget(archive: string, limits: ArchiveLimits): (bytes: number, members?: number) => void {
  let bytes = 0;
  let entries = 0;
  return (size, members = 1) => {
    if ((entries += members) > limits.maxEntries) throw oversized(archive, `more than ${limits.maxEntries} members`);
    bytes += size;
    if (bytes > limits.maxBytes) throw oversized(archive, `more than ${formatBytes(limits.maxBytes)}`);
  };
}

function oversized(archive: string, what: string): DropshipError {
  return new DropshipError('BUILDPACK_ARCHIVE_TOO_LARGE', `${archive} expands to ${what}, more than a buildpack archive may; nothing was extracted`, {
    hint: 'an archive this large is most likely a decompression bomb: check where the buildpack comes from',
  });
}
