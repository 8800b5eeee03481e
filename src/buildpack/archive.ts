import { chmod, open, readdir, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { isDirectory } from '../util/fs.js';
import { readableByAll, sanitizeTree } from '../util/no-follow.js';
import { ARCHIVE_LIMITS } from './archive-limits.js';
import { extractTar } from './extract-tar.js';
import { extractZip } from './extract-zip.js';

export type ArchiveKind = 'tgz' | 'zip' | 'tar';

/** Tell an archive by its first bytes, not its name: URLs often have no extension. */
export async function sniffArchive(file: string): Promise<ArchiveKind | undefined> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(262), 0, 262, 0);
    if (bytesRead >= 4 && buffer.readUInt32BE(0) === 0x504b0304) return 'zip';
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return 'tgz';
    if (bytesRead >= 262 && buffer.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    return undefined;
  } finally {
    await handle.close();
  }
}

/**
 * Extract a buildpack archive into `dest` (a new path) and return the buildpack's root: `dest`
 * itself or its one top-level directory (archives made with `zip -r bp.zip bp/` nest everything
 * once). The archive may come from anyone (a URL in an app's manifest): members that would land
 * outside `dest` are refused, and what is kept is made safe for a host whose root extracted it:
 * owned by root, no setuid/setgid bits, no devices or fifos, readable but not writable by others,
 * and no more of it than `limits` allow. On any failure nothing of `dest` is left.
 */
export async function extractBuildpackArchive(file: string, dest: string, label = file, limits = ARCHIVE_LIMITS): Promise<string> {
  const kind = await sniffArchive(file);
  if (!kind) {
    throw new DropshipError('BUILDPACK_ARCHIVE_INVALID', `${label} is not a .tgz, .tar or .zip archive`, {
      hint: 'give a directory with bin/, a .tgz or .zip of one, or a URL to such an archive',
    });
  }
  await mkdir(dest, { recursive: true, mode: 0o700 });
  await chmod(dest, 0o700);
  try {
    if (kind === 'zip') await extractZip(file, dest, label, limits);
    else await extractTar(file, dest, kind === 'tgz', label, limits);
    await sanitizeTree(dest, { owner: processOwner(), mode: readableByAll });
    return await buildpackRoot(dest);
  } catch (error) {
    await rm(dest, { recursive: true, force: true });
    if (error instanceof DropshipError) throw error;
    throw new DropshipError('BUILDPACK_ARCHIVE_INVALID', `could not extract ${label}: ${(error as Error).message}`, {
      hint: 'check that the archive is complete and not corrupt',
      cause: error,
    });
  }
}

/** Who extracts (root in production): the owner every extracted or copied buildpack file gets. */
export function processOwner(): { uid: number; gid: number } {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

async function buildpackRoot(dir: string): Promise<string> {
  if (await isDirectory(join(dir, 'bin'))) return dir;
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.name !== '__MACOSX');
  if (entries.length === 1 && entries[0]!.isDirectory() && (await isDirectory(join(dir, entries[0]!.name, 'bin')))) {
    return join(dir, entries[0]!.name);
  }
  return dir;
}
