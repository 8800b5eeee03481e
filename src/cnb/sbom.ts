import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError, isDropshipError } from '../errors.js';
import { createNoFollow, isLinkError, mkdirNoFollow, openDirNoFollow, removeNoFollow } from '../util/no-follow.js';
import { escapeId } from './layout.js';

/**
 * Software Bills of Materials (buildpack.md "Software-Bill-of-Materials", platform.md "Exporter"):
 * `<layer>.sbom.<ext>`, `launch.sbom.<ext>` and `build.sbom.<ext>` in a buildpack's layers dir.
 * Launch ones (launch layers, `launch.`) go in the image under `<layers>/sbom/launch/`; build ones
 * (layers that are not launch layers, `build.`) never do: they are laid out as
 * `build/<buildpack id>/[<layer>/]sbom.<ext>` for the platform to copy out.
 *
 * The files were written by container code: they are read on the host only once the build
 * container is gone, opened without following a link and judged by fstat on what was opened; a
 * link, anything but a regular file or a file over the bound is left out with a warning.
 */

/** SBOM extensions and the media types `sbom-formats` declares them with (buildpack.md's table). */
export const SBOM_MEDIA_TYPES = {
  cdx: 'application/vnd.cyclonedx+json',
  spdx: 'application/spdx+json',
  syft: 'application/vnd.syft+json',
} as const;
type SbomExt = keyof typeof SBOM_MEDIA_TYPES;

/** A bill of materials is data for scanners: bounded, so a buildpack cannot bloat the image or the host through it. */
export const MAX_SBOM_BYTES = 16 * 1024 * 1024;
/**
 * All SBOMs of one build together: they are held in memory and written out three times (image,
 * cache, --sbom-output-dir), and a sparse file or hardlinks of one file cost the buildpack no disk.
 */
export const MAX_SBOM_TOTAL_BYTES = 64 * 1024 * 1024;

export interface SbomFile {
  kind: 'launch' | 'build';
  buildpackId: string;
  /** Absent for the buildpack's own `launch.`/`build.` SBOM. */
  layer?: string;
  ext: SbomExt;
  body: Buffer;
}

export interface SbomSource {
  id: string;
  /** buildpack.toml `sbom-formats`: media types, perhaps with parameters. */
  sbomFormats: string[];
  launchLayers: string[];
  /** Layers with a toml that are not launch layers (build or cache). */
  otherLayers: string[];
}

/** `<kind>/<escaped id>/[<layer>/]sbom.<ext>.json`: platform.md's layout below `<layers>/sbom/`. */
export function sbomPath(f: SbomFile): string {
  return `${f.kind}/${escapeId(f.buildpackId)}/${f.layer ? `${f.layer}/` : ''}sbom.${f.ext}.json`;
}

function invalid(bp: string, file: string, problem: string, hint: string): DropshipError {
  return new DropshipError('CNB_SBOM_INVALID', `buildpack ${bp}: ${file}: ${problem}`, { hint, exitCode: 51, details: { buildpack: bp, file } });
}

/** The reference exporter's candidates are `*.sbom.*.json`; the part before `.sbom.` names the layer. */
export const SBOM_NAME = /^(.*?)\.sbom\.(.+)\.json$/;

/** `left`: what the build's SBOMs may still take (MAX_SBOM_TOTAL_BYTES less those read). */
async function readBounded(path: string, left: number): Promise<{ body?: Buffer; problem?: string }> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: code === 'ELOOP' ? 'is a symlink' : `cannot be read (${code ?? String(error)})` };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { problem: 'is not a regular file' };
    if (info.size > MAX_SBOM_BYTES) return { problem: `is ${info.size} bytes, over the ${MAX_SBOM_BYTES} bytes an SBOM may have` };
    if (info.size > left) return { problem: `is ${info.size} bytes, over the ${MAX_SBOM_TOTAL_BYTES} bytes all SBOMs of a build may have together` };
    // Read at most one byte past the size, whatever it grows to: within both bounds.
    const buffer = Buffer.alloc(info.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) return { problem: 'grew while it was read' };
    }
    return { body: buffer.subarray(0, length) };
  } finally {
    await handle.close();
  }
}

/**
 * The SBOM files of a group, checked as the reference lifecycle checks them: an extension other
 * than cdx/spdx/syft, or a format the buildpack did not declare in `sbom-formats`, fails the
 * build naming the buildpack and file. SBOMs of names that are no layer of the buildpack are ignored.
 */
export async function collectSboms(layersDir: string, group: SbomSource[], warn: (message: string) => void): Promise<SbomFile[]> {
  const files: SbomFile[] = [];
  let left = MAX_SBOM_TOTAL_BYTES;
  for (const bp of group) {
    const bpDir = join(layersDir, escapeId(bp.id));
    if (!(await lstat(bpDir).catch(() => undefined))?.isDirectory()) continue;
    const declared = new Set(bp.sbomFormats.map((t) => t.split(';')[0]!.trim().toLowerCase()));
    const launch = new Set(bp.launchLayers);
    const other = new Set(bp.otherLayers);
    for (const name of (await readdir(bpDir)).sort()) {
      const match = SBOM_NAME.exec(name);
      if (!match) continue;
      const [, layer, ext] = match as unknown as [string, string, string];
      if (!Object.hasOwn(SBOM_MEDIA_TYPES, ext)) {
        throw invalid(bp.id, name, `'${ext}' is not an SBOM format (cdx, spdx or syft)`, 'name SBOM files <layer>.sbom.cdx.json, .sbom.spdx.json or .sbom.syft.json');
      }
      const kind = layer === 'launch' || launch.has(layer) ? 'launch' : layer === 'build' || other.has(layer) ? 'build' : undefined;
      if (!kind) continue;
      const mediaType = SBOM_MEDIA_TYPES[ext as SbomExt];
      if (!declared.has(mediaType)) {
        throw invalid(bp.id, name, `media type ${mediaType} is not declared in buildpack.toml [buildpack] sbom-formats`, `add "${mediaType}" to sbom-formats, or do not write ${ext} SBOMs`);
      }
      const read = await readBounded(join(bpDir, name), left);
      if (!read.body) {
        warn(`buildpack ${bp.id}: ${name} ${read.problem}; left out of the SBOMs`);
        continue;
      }
      left -= read.body.length;
      files.push({ kind, buildpackId: bp.id, ...(layer === 'launch' || layer === 'build' ? {} : { layer }), ext: ext as SbomExt, body: read.body });
    }
  }
  return files.sort((a, b) => (sbomPath(a) < sbomPath(b) ? -1 : 1));
}

/** DIR itself, held open: created when missing, refused when it is a link or not a directory. */
async function openOutputDir(dir: string): Promise<FileHandle> {
  const refuse = async (error: unknown): Promise<never> => {
    if (!isLinkError(error)) throw error;
    if ((await lstat(dir).catch(() => undefined))?.isSymbolicLink()) {
      throw new DropshipError('SBOM_DIR_IS_LINK', `${dir} is a symlink; dropship writes SBOMs only into a real directory`, {
        hint: 'give the directory itself, not a link to it (a link there may have been planted by whoever else can write its parent)', details: { path: dir },
      });
    }
    throw new DropshipError('SBOM_DIR_NOT_DIRECTORY', `${dir} is not a directory`, { hint: 'give a directory, or a path that does not exist yet', details: { path: dir } });
  };
  try {
    return await openDirNoFollow(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return refuse(error);
  }
  // A dangling link at DIR makes this EEXIST; the open below then refuses it as a link.
  await mkdir(dir, { recursive: true, mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return openDirNoFollow(dir).catch(refuse);
}

/**
 * Lay the SBOMs out below `dir` as `launch/…` and `build/…` (what `pack build --sbom-output-dir`
 * gives), replacing what an earlier build left there. DIR may be writable by another local user,
 * who can swap anything in it for a link at any moment: everything below DIR is removed, made and
 * written through directories held open (no-follow.ts), each file created O_EXCL|O_NOFOLLOW, so a
 * swap at worst fails the write with one line and never makes root write where a link points.
 */
export async function writeSbomTree(dir: string, files: SbomFile[]): Promise<void> {
  const owner = { uid: process.getuid!(), gid: process.getgid!() };
  const top = await openOutputDir(dir);
  // The directories of the file being written, held open; files come sorted, so each directory's
  // files are contiguous and one chain from DIR down is all that is ever open.
  const chain: Array<{ name: string; dir: FileHandle }> = [];
  let rel = '';
  try {
    for (const kind of ['launch', 'build']) {
      rel = kind;
      await removeNoFollow(top, kind);
    }
    for (const f of files) {
      const parts = sbomPath(f).split('/');
      const name = parts.pop()!;
      let keep = 0;
      while (keep < chain.length && keep < parts.length && chain[keep]!.name === parts[keep]) keep++;
      for (const dropped of chain.splice(keep)) await dropped.dir.close();
      for (const part of parts.slice(keep)) {
        rel = [...chain.map((c) => c.name), part].join('/');
        chain.push({ name: part, dir: await mkdirNoFollow(chain.at(-1)?.dir ?? top, part, owner) });
      }
      rel = sbomPath(f);
      const handle = await createNoFollow(chain.at(-1)!.dir, name, 0o644);
      try {
        await handle.writeFile(f.body);
      } finally {
        await handle.close();
      }
    }
  } catch (error) {
    if (isDropshipError(error)) throw error;
    // Errors name /proc/self/fd/N/…: name the path in DIR instead.
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const swapped = code === 'EEXIST' || isLinkError(error);
    throw new DropshipError('SBOM_WRITE_FAILED', `${join(dir, rel)}: ${swapped ? 'was replaced while dropship wrote the SBOMs' : `cannot be written (${code})`}`, {
      cause: error, details: { path: join(dir, rel) },
      hint: swapped ? `someone else can write ${dir}: give a directory only you can write` : `give a directory dropship can write`,
    });
  } finally {
    for (const held of chain) await held.dir.close();
    await top.close();
  }
}
