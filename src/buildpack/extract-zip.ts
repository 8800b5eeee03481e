import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { DropshipError } from '../errors.js';
import { memberSegments, unsafeMember } from './member-path.js';

/**
 * Extract a .zip into `dest` (new, private to this process) with Info-ZIP's unzip, which is safe
 * where it matters and loud where it is not: it restores no setuid/setgid bits (without -K), makes
 * no device nodes, and creates symlinks only after every file, so no member is written through a
 * symlink of the same archive. It rewrites absolute and `..` names instead of refusing them, so
 * the member list is checked first, as is every member's parent (no member may sit under a file or
 * symlink member); after extraction no member may sit under a symlink either (belt and braces).
 * Modes and owners are then fixed by sanitizeTree.
 */
export async function extractZip(file: string, dest: string, label: string): Promise<void> {
  const listing = await execa('unzip', ['-Z1', file], { reject: false, all: true });
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
  const run = await execa('unzip', ['-qq', '-o', file, '-d', dest], { reject: false, all: true });
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

function unreadable(label: string, output: string): DropshipError {
  return new DropshipError('BUILDPACK_ARCHIVE_INVALID', `could not extract ${label}: ${output.trim().split('\n').slice(-3).join('; ')}`, {
    hint: 'check that the archive is complete and not corrupt',
  });
}
