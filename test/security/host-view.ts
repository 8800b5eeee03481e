import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Everything the host can observe about a tree, as one comparable value: per path its type,
 * mode, owner, size, link count, mtime, content hash or link target, and every extended
 * attribute (security.capability and trusted.* included, read as root). A security test takes
 * one before an attack and asserts the same one after it.
 */
export function hostView(dir: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const view: Record<string, string> = {};
  const walk = (rel: string) => {
    const path = rel ? join(dir, rel) : dir;
    const s = lstatSync(path);
    const kind = s.isSymbolicLink() ? 'link' : s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
    let what = '';
    if (kind === 'file') what = createHash('sha256').update(readFileSync(path)).digest('hex');
    if (kind === 'link') what = readlinkSync(path);
    view[rel || '.'] = `${kind} ${(s.mode & 0o7777).toString(8)} ${s.uid}:${s.gid} size=${s.size} nlink=${s.nlink} mtime=${s.mtimeMs} rdev=${s.rdev} ${what} xattrs=${xattrsOf(path)}`;
    if (kind === 'dir') for (const name of readdirSync(path).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      if (!skip(child)) walk(child);
    }
  };
  walk('');
  return view;
}

/** All xattrs of one path (not followed), hex-encoded; '' when it has none. */
export function xattrsOf(path: string): string {
  const out = execFileSync('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', path], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l && !l.startsWith('#')).sort().join(',');
}
