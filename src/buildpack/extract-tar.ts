import { constants, createReadStream } from 'node:fs';
import { link, lstat, mkdir, open, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { expansionBudget, type ArchiveLimits } from './archive-limits.js';
import { memberSegments, unsafeMember } from './member-path.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

/**
 * Stream a (gzipped) tar into `dest`, which is new and private to this process, entry by entry
 * with tar-stream: rather than GNU tar's options (which as root keep setuid bits, make device nodes
 * and rewrite bad names silently), every entry is checked here. Names must stay inside (see
 * memberSegments), no parent may be a symlink (an earlier member cannot redirect a later one),
 * files are created O_EXCL|O_NOFOLLOW, hard links must point at a regular file extracted before,
 * and devices, fifos and other special entries are dropped (their names are returned).
 * Modes and owners are fixed afterwards by sanitizeTree.
 */
export async function extractTar(file: string, dest: string, gzipped: boolean, label: string, limits: ArchiveLimits): Promise<string[]> {
  const dropped: string[] = [];
  // Counted from the headers before each entry is written: tar-stream reads exactly `size` bytes
  // of a member, so a header cannot understate what lands on disk.
  const take = expansionBudget(label, limits);
  const tar = extract();
  const reading = pipeline(createReadStream(file), gzipped ? createGunzip() : new PassThrough(), tar);
  // A failed read surfaces through the iterator below; this only keeps it from being unhandled.
  reading.catch(() => undefined);

  /** The directory for `segments`, made as needed; refuses a parent that is not a real directory. */
  const parentOf = async (segments: string[], name: string): Promise<string> => {
    let path = dest;
    for (const segment of segments.slice(0, -1)) {
      path = join(path, segment);
      const info = await lstat(path).catch(() => undefined);
      if (!info) {
        // A directory no header names is an inode all the same: 200 of them in one deep name.
        take(0);
        await mkdir(path, { mode: 0o700 });
      } else if (info.isSymbolicLink()) throw unsafeMember(label, name, `goes through the symlink '${path.slice(dest.length + 1)}'`);
      else if (!info.isDirectory()) throw unsafeMember(label, name, `goes through '${path.slice(dest.length + 1)}', which is not a directory`);
    }
    return path;
  };
  /** Make room for a new non-directory entry: a later member replaces an earlier one, as tar does. */
  const clear = async (path: string, name: string) => {
    const info = await lstat(path).catch(() => undefined);
    if (info?.isDirectory()) throw unsafeMember(label, name, 'would replace a directory');
    if (info) await rm(path, { force: true });
  };

  for await (const entry of tar) {
    const { name, type } = entry.header;
    try {
      take(entry.header.size ?? 0);
      const segments = memberSegments(label, name);
      if (segments.length === 0) continue;
      const target = join(await parentOf(segments, name), segments[segments.length - 1]!);
      if (type === 'file' || type === 'contiguous-file') {
        await clear(target, name);
        const out = await open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
        try {
          for await (const chunk of entry as AsyncIterable<Buffer>) {
            for (let done = 0; done < chunk.length;) done += (await out.write(chunk, done, chunk.length - done)).bytesWritten;
          }
          await out.chmod(entry.header.mode! & 0o777);
        } finally {
          await out.close();
        }
      } else if (type === 'directory') {
        const info = await lstat(target).catch(() => undefined);
        if (!info) await mkdir(target, { mode: 0o700 });
        else if (!info.isDirectory()) throw unsafeMember(label, name, 'would turn a file or symlink into a directory');
      } else if (type === 'symlink') {
        await clear(target, name);
        // Kept as a link: it resolves inside the staging container, where the buildpack is mounted.
        await symlink(entry.header.linkname ?? '', target);
      } else if (type === 'link') {
        const from = memberSegments(label, entry.header.linkname ?? '');
        const source = from.length ? join(await parentOf(from, name), from[from.length - 1]!) : dest;
        const info = await lstat(source).catch(() => undefined);
        if (!info?.isFile()) throw unsafeMember(label, name, `is a hard link to '${entry.header.linkname}', which is not a file extracted before it`);
        // No bytes on this disk, but every copy of the buildpack (registry, each staging) writes them.
        take(info.size, 0);
        await clear(target, name);
        await link(source, target);
      } else {
        // Devices, fifos: nothing a buildpack needs, and a device node is a way into the host.
        dropped.push(name);
      }
    } finally {
      entry.resume();
    }
  }
  await reading;
  return dropped;
}
