import { open, readdir, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { DropshipError } from '../errors.js';
import { isDirectory } from '../util/fs.js';

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

async function unzipCommand(): Promise<string[]> {
  // Debian's unzip is optional; busybox-static (a dependency of the tiny stack) always has it.
  for (const candidate of [['unzip'], ['busybox', 'unzip']]) {
    const found = await execa('sh', ['-c', `command -v ${candidate[0]}`], { reject: false });
    if (found.exitCode === 0) return candidate;
  }
  throw new DropshipError('UNZIP_MISSING', 'cannot extract a .zip buildpack: neither unzip nor busybox is installed', {
    hint: 'apt-get install unzip (or busybox-static)',
  });
}

/**
 * Extract a buildpack archive into `dest` and return the buildpack's root: `dest` itself or its
 * one top-level directory (archives made with `zip -r bp.zip bp/` nest everything once).
 * GNU tar and unzip refuse absolute and `..` member names, so nothing lands outside `dest`.
 */
export async function extractBuildpackArchive(file: string, dest: string, label = file): Promise<string> {
  const kind = await sniffArchive(file);
  if (!kind) {
    throw new DropshipError('BUILDPACK_ARCHIVE_INVALID', `${label} is not a .tgz, .tar or .zip archive`, {
      hint: 'give a directory with bin/, a .tgz or .zip of one, or a URL to such an archive',
    });
  }
  await mkdir(dest, { recursive: true });
  const command = kind === 'zip'
    ? [...(await unzipCommand()), '-q', '-o', file, '-d', dest]
    : ['tar', kind === 'tgz' ? '-xzf' : '-xf', file, '-C', dest, '--no-same-owner'];
  const result = await execa(command[0]!, command.slice(1), { reject: false, all: true });
  if (result.exitCode !== 0) {
    throw new DropshipError('BUILDPACK_ARCHIVE_INVALID', `could not extract ${label}: ${String(result.all).trim().split('\n').slice(-3).join('; ')}`, {
      hint: 'check that the archive is complete and not corrupt',
    });
  }
  await makeReadableByAll(dest);
  return buildpackRoot(dest);
}

/** Buildpack steps run as vcap, not as the owner of these files: make them readable (not writable) for everyone. */
export async function makeReadableByAll(dir: string): Promise<void> {
  await execa('chmod', ['-R', 'u+rwX,go+rX,go-w', dir]);
}

async function buildpackRoot(dir: string): Promise<string> {
  if (await isDirectory(join(dir, 'bin'))) return dir;
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.name !== '__MACOSX');
  if (entries.length === 1 && entries[0]!.isDirectory() && (await isDirectory(join(dir, entries[0]!.name, 'bin')))) {
    return join(dir, entries[0]!.name);
  }
  return dir;
}
