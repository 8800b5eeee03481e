import { stat } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { DropshipError } from '../errors.js';
import { extractBuildpackArchive } from './archive.js';
import { fetchBuildpack, type FetchOptions } from './fetch.js';
import { readBuildpackMetadata } from './metadata.js';
import { entryDir, readOrder, type RegistryEntry } from './registry.js';
import type { Buildpack } from './types.js';

export interface ResolveOptions {
  home?: string;
  /** Where local archives are extracted; the caller removes it after staging. */
  scratchDir: string;
  fetch?: FetchOptions;
}

async function fromEntry(entry: RegistryEntry): Promise<Buildpack> {
  const dir = entryDir(entry);
  const meta = await readBuildpackMetadata(dir);
  return { key: entry.name, name: entry.name, version: meta.version, stacks: meta.stacks, source: entry.source, dir };
}

async function requireBin(dir: string, label: string): Promise<void> {
  const bin = await stat(join(dir, 'bin')).catch(() => undefined);
  if (!bin?.isDirectory()) {
    throw new DropshipError('BUILDPACK_INVALID', `buildpack ${label} has no bin/ directory`, {
      hint: 'a V2 buildpack has bin/detect, bin/supply or bin/finalize (or bin/compile) and bin/release',
    });
  }
}

/**
 * Turn one `-b` value into a local buildpack: a URL (fetched, cached by URL), a registered or
 * built-in name, a directory with bin/, or a .tgz/.zip file. A plain word is a name first.
 */
export async function resolveBuildpack(value: string, index: number, options: ResolveOptions): Promise<Buildpack> {
  if (/^https?:\/\//i.test(value)) {
    const fetched = await fetchBuildpack(value, { ...options.fetch, home: options.home });
    await requireBin(fetched.dir, value);
    const meta = await readBuildpackMetadata(fetched.dir);
    return { key: fetched.url, name: meta.name, version: meta.version, stacks: meta.stacks, source: 'url', dir: fetched.dir };
  }
  const looksLikePath = value.includes('/') || /\.(tgz|tar\.gz|tar|zip)$/i.test(value) || value.startsWith('.');
  if (!looksLikePath) {
    const entry = (await readOrder(options.home)).find((e) => e.name === value);
    if (entry) return fromEntry(entry);
  }
  const path = resolvePath(value);
  const info = await stat(path).catch(() => undefined);
  if (!info) {
    const names = (await readOrder(options.home)).map((e) => e.name).join(', ');
    throw new DropshipError('BUILDPACK_NOT_FOUND', `buildpack '${value}' is neither a known name nor an existing path`, {
      hint: `known buildpacks: ${names}; or give a directory with bin/, a .tgz/.zip file or an http(s) URL`,
    });
  }
  if (info.isDirectory()) {
    await requireBin(path, value);
    const meta = await readBuildpackMetadata(path);
    return { key: path, name: meta.name, version: meta.version, stacks: meta.stacks, source: 'directory', dir: path };
  }
  const dir = await extractBuildpackArchive(path, join(options.scratchDir, `bp-${index}`), value);
  await requireBin(dir, value);
  const meta = await readBuildpackMetadata(dir);
  return { key: path, name: meta.name, version: meta.version, stacks: meta.stacks, source: 'archive', dir };
}

/** The detect order (registered and built-in), keeping only buildpacks that support `stack`. */
export async function detectOrder(stack: string, home?: string): Promise<Buildpack[]> {
  const all = await Promise.all((await readOrder(home)).map(fromEntry));
  return all.filter((bp) => supportsStack(bp, stack));
}

export function supportsStack(bp: Buildpack, stack: string): boolean {
  return bp.stacks.length === 0 || bp.stacks.includes(stack);
}
