import { stat } from 'node:fs/promises';
import { basename, join, resolve as resolvePath } from 'node:path';
import { DropshipError } from '../errors.js';
import { extractBuildpackArchive } from './archive.js';
import { requireBin } from './check.js';
import { fetchBuildpack, isBuildpackUrl, type FetchOptions } from './fetch.js';
import { fetchGitBuildpack, isGitBuildpackUrl } from './git.js';
import { readBuildpackMetadata } from './metadata.js';
import { entryDir, findMember, memberLabel, readOrder, type BuildpackEntry } from './registry.js';
import type { Buildpack, BuildpackSource } from './types.js';

export interface ResolveOptions {
  home?: string;
  /** Where local archives are extracted; the caller removes it after staging. */
  scratchDir: string;
  fetch?: FetchOptions;
}

/** A local buildpack directory described by its metadata; registered ones keep the name they were given. */
async function describe(dir: string, key: string, source: BuildpackSource, name?: string): Promise<Buildpack> {
  const meta = await readBuildpackMetadata(dir);
  return { key, name: name ?? meta.name, version: meta.version, stacks: meta.stacks, source, dir, api: meta.api };
}

function fromEntry(entry: BuildpackEntry): Promise<Buildpack> {
  return describe(entryDir(entry), entry.name, entry.source, entry.name);
}

/**
 * Turn one `-b` value into a local buildpack: a git repository URL (`….git#ref`, cached by commit),
 * an archive URL (fetched, cached by URL), a registered or
 * built-in name, a directory with bin/, or a .tgz/.zip file. A plain word is a name first.
 */
export async function resolveBuildpack(value: string, index: number, options: ResolveOptions): Promise<Buildpack> {
  if (isGitBuildpackUrl(value)) {
    const fetched = await fetchGitBuildpack(value, { ...options.fetch, home: options.home });
    await requireBin(fetched.dir, `buildpack ${value} has no bin/ directory at commit ${fetched.commit}`);
    const described = await describe(fetched.dir, value, 'git');
    // Without a manifest naming it, a checkout would be named after its commit: use the repository's name.
    const name = described.name === basename(fetched.dir) ? basename(fetched.url).replace(/\.git\/?$/i, '') : described.name;
    return { ...described, name, commit: fetched.commit };
  }
  if (isBuildpackUrl(value)) {
    const fetched = await fetchBuildpack(value, { ...options.fetch, home: options.home });
    await requireBin(fetched.dir, `buildpack ${value} has no bin/ directory`);
    return describe(fetched.dir, fetched.url, 'url');
  }
  const looksLikePath = value.includes('/') || /\.(tgz|tar\.gz|tar|zip)$/i.test(value) || value.startsWith('.');
  if (!looksLikePath || options.fetch?.fromApp) {
    const entry = (await readOrder(options.home)).find((e) => e.name === value);
    if (entry?.source === 'group') {
      throw new DropshipError('BUILDPACK_IS_GROUP', `buildpack '${value}' is an order group, not one buildpack`, {
        hint: `name its members with -b (${entry.members.map(memberLabel).join(', ')}), or build without -b to try the registered groups`,
      });
    }
    if (entry) return fromEntry(entry);
  }
  const fromApp = options.fetch?.fromApp;
  if (fromApp) {
    // A path in an app's manifest would let the app's author have this host extract or mount any
    // host directory or archive into the staging container. Cloud Foundry manifests take names
    // and URLs only; so does dropship's, and the operator can still give a path with -b.
    throw new DropshipError('BUILDPACK_PATH_FROM_APP', `buildpack '${value}' (from ${fromApp === true ? "the app's manifest" : fromApp}) is not a known buildpack name; an app's manifest may only name buildpacks or give http(s) URLs`, {
      hint: `register it first (dropship buildpack create NAME ${value}) and use NAME in the manifest, or push with -b ${value}`,
    });
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
    await requireBin(path, `buildpack ${value} has no bin/ directory`);
    return describe(path, path, 'directory');
  }
  const dir = await extractBuildpackArchive(path, join(options.scratchDir, `bp-${index}`), value);
  await requireBin(dir, `buildpack ${value} has no bin/ directory`);
  return describe(dir, path, 'archive');
}

/** The detect order (registered and built-in), keeping only buildpacks that support `stack`. */
export async function detectOrder(stack: string, home?: string): Promise<Buildpack[]> {
  const all = await Promise.all((await readOrder(home)).filter((e): e is BuildpackEntry => e.source !== 'group').map(fromEntry));
  return all.filter((bp) => supportsStack(bp, stack));
}

/** A registered order group with its members named by their registered names (the keys `detectOrder` gives). */
export interface DetectGroup {
  name: string;
  members: Array<{ key: string; optional: boolean }>;
}

/**
 * The order groups of the detect order (`buildpack create --group`), in order, members looked up
 * among the registered buildpacks now; a member that is gone is an error naming both, not a
 * group silently tried without it.
 */
export async function detectGroups(stack: string, home?: string): Promise<DetectGroup[]> {
  const order = await readOrder(home);
  const groups: DetectGroup[] = [];
  for (const group of order) {
    if (group.source !== 'group') continue;
    const members: Array<DetectGroup['members'][number] & { stacks: string[] }> = [];
    for (const m of group.members) {
      const found = await findMember(order, m);
      if (!found) {
        throw new DropshipError('BUILDPACK_GROUP_MEMBER_UNKNOWN', `order group '${group.name}': member ${memberLabel(m)} is no longer registered`, {
          hint: `register it again, or delete the group: dropship buildpack delete ${group.name}`,
        });
      }
      members.push({ key: found.entry.name, optional: m.optional, stacks: found.stacks });
    }
    // As detectOrder leaves out buildpacks for other stacks, a group with such a member is left out.
    if (members.every((m) => m.stacks.length === 0 || m.stacks.includes(stack))) {
      groups.push({ name: group.name, members: members.map(({ key, optional }) => ({ key, optional })) });
    }
  }
  return groups;
}

export function supportsStack(bp: Buildpack, stack: string): boolean {
  return bp.stacks.length === 0 || bp.stacks.includes(stack);
}
