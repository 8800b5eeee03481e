import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { DropshipError } from '../errors.js';
import { expansionBudget, type ArchiveLimits } from './archive-limits.js';
import { memberSegments, unsafeMember } from './member-path.js';

/**
 * Extract a .zip into `dest` (new, private to this process) with Info-ZIP's unzip, which is safe
 * where it matters and loud where it is not: it restores no setuid/setgid bits (without -K), makes
 * no device nodes, and creates symlinks only after every file, so no member is written through a
 * symlink of the same archive. It rewrites absolute and `..` names instead of refusing them, so
 * the member list is checked first, as is every member's parent (no member may sit under a file or
 * symlink member); after extraction no member may sit under a symlink either (belt and braces).
 * Modes and owners are then fixed by sanitizeTree. Sizes are judged from the central directory
 * before anything is written, and since a header can understate what a member inflates to, the
 * whole is inflated into a pipe and counted first, and unzip runs with no file allowed beyond the
 * largest declared size (RLIMIT_FSIZE).
 */
export async function extractZip(file: string, dest: string, label: string, limits: ArchiveLimits): Promise<void> {
  const listing = await execa('unzip', ['-Z1', file], { reject: false, all: true, stdin: 'ignore' });
  if (listing.failed && (listing as { code?: string }).code === 'ENOENT') {
    throw new DropshipError('UNZIP_MISSING', `cannot extract ${label}: unzip is not installed`, { hint: 'apt-get install unzip' });
  }
  if (listing.exitCode !== 0) throw unreadable(label, String(listing.all));
  // One name per line; a name with a newline in it splits into lines that fail the checks below.
  const names = String(listing.stdout).split('\n').filter((n) => n !== '');
  const members = names.map((name) => {
    // unzip turns `\` into `/` in names from DOS/Windows archives: judge those separators too.
    if (/(^|[\\/])\.\.([\\/]|$)/.test(name)) throw unsafeMember(label, name, "has a '..' component");
    return { name, segments: memberSegments(label, name) };
  });
  // A member that is not a directory (a file or a symlink) cannot have members under it: such an
  // archive means to write through a link, and is refused before anything is written.
  const leaves = new Set(names.filter((n) => !n.endsWith('/')).map((n) => memberSegments(label, n).join('/')));
  for (const { name, segments } of members) {
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      if (leaves.has(prefix)) throw unsafeMember(label, name, `goes through '${prefix}', a file or symlink of the archive`);
    }
  }
  const declared = declaredSizes(label, limits, (await execa('unzip', ['-Zl', file], { reject: false, stdin: 'ignore' })).stdout, members);
  // RLIMIT_FSIZE bounds one member; many members each understating itself below the largest would
  // still add up to any size. So the members are inflated once into a pipe and counted first.
  if (!(await inflatesWithin(file, declared.total))) throw understated(label);
  // stdin closed: on a write error unzip asks "Continue? (y/n)" and would wait for ever. Node
  // ignores SIGXFSZ and its children inherit that, so the limit shows as such a write error (50).
  const run = await execa('prlimit', [`--fsize=${Math.max(declared.largest, 1)}`, 'unzip', '-qq', '-o', file, '-d', dest], { reject: false, all: true, stdin: 'ignore' });
  if (run.exitCode === 50) throw understated(label, ', or the disk is full');
  for (const { name, segments } of members) {
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      if ((await lstat(join(dest, prefix)).catch(() => undefined))?.isSymbolicLink()) {
        throw unsafeMember(label, name, `goes through the symlink '${prefix}'`);
      }
    }
  }
  if (run.exitCode !== 0) throw unreadable(label, String(run.all));
}

/**
 * Each member's uncompressed size from `unzip -Zl` ("-rw-r--r--  3.0 unx  3000 bx  20 defN …"),
 * none of them encrypted, charged to the archive's budget with every parent directory unzip makes
 * that no member names; returns the largest and the total. A listing that does not account for every member is not trusted.
 */
function declaredSizes(label: string, limits: ArchiveLimits, listing: string, members: Array<{ name: string; segments: string[] }>): { largest: number; total: number } {
  const take = expansionBudget(label, limits);
  const rows = [...listing.matchAll(/^\S{10}\s+\S+\s+\S+\s+(\d+)\s+(\S+)\s/gm)];
  if (rows.length !== members.length) throw unreadable(label, 'its member list and their sizes disagree');
  const sizes = rows.map((row) => Number(row[1]));
  for (const size of sizes) take(size);
  // An encrypted member's type letter is upper case ("TX", "BX"); unzip would ask for its password on the terminal.
  const encrypted = rows.findIndex((row) => /^[TB]/.test(row[2]!));
  if (encrypted >= 0) {
    throw new DropshipError('BUILDPACK_ARCHIVE_INVALID', `${label}: member '${members[encrypted]!.name}' is encrypted; a buildpack archive cannot be`, {
      hint: 'make the archive again without a password (zip without -e or -P)',
    });
  }
  const named = new Set(members.map((m) => m.segments.join('/')));
  const parents = new Set(members.flatMap(({ segments }) => segments.slice(1).map((_, i) => segments.slice(0, i + 1).join('/'))));
  take(0, [...parents].filter((parent) => !named.has(parent)).length);
  return { largest: sizes.reduce((a, b) => Math.max(a, b), 0), total: sizes.reduce((a, b) => a + b, 0) };
}

/**
 * Whether every member together inflates to no more than `most` bytes: counted on a pipe, nothing
 * written, and no further than one byte past `most` (head ends unzip with SIGPIPE).
 */
async function inflatesWithin(file: string, most: number): Promise<boolean> {
  const counted = await execa('sh', ['-c', 'unzip -p -qq "$0" | head -c "$1" | wc -c', file, String(most + 1)], { reject: false, stdin: 'ignore' });
  return Number(counted.stdout.trim()) <= most;
}

function understated(label: string, or = ''): DropshipError {
  return new DropshipError('BUILDPACK_ARCHIVE_INVALID', `could not extract ${label}: a member inflates to more than its header says${or}`, {
    hint: 'check the archive (a header that understates a member is a decompression bomb) and the free space of the store (df)',
  });
}

function unreadable(label: string, output: string): DropshipError {
  return new DropshipError('BUILDPACK_ARCHIVE_INVALID', `could not extract ${label}: ${output.trim().split('\n').slice(-3).join('; ')}`, {
    hint: 'check that the archive is complete and not corrupt',
  });
}
