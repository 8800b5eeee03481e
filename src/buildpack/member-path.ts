import { DropshipError } from '../errors.js';

/**
 * The path segments an archive member may be extracted to, or a refusal naming the archive and the
 * member: absolute names and `..` would land outside the target, so they are refused rather than
 * silently rewritten (an archive that needs either is not one dropship should trust). `.`, empty
 * segments and a leading `./` are dropped; the archive's own root (`./`) gives no segments.
 */
export function memberSegments(archive: string, name: string): string[] {
  if (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) throw unsafeMember(archive, name, 'is an absolute path');
  if (name.includes('\0')) throw unsafeMember(archive, name, 'has a NUL byte in its name');
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw unsafeMember(archive, name, "has a '..' component");
  return segments;
}

export function unsafeMember(archive: string, name: string, why: string): DropshipError {
  return new DropshipError('BUILDPACK_ARCHIVE_UNSAFE', `${archive}: member '${name}' ${why}; nothing was extracted`, {
    hint: 'a buildpack archive holds relative paths that stay inside it: rebuild it with `tar -czf bp.tgz -C DIR .` or `cd DIR && zip -r ../bp.zip .`',
  });
}
