import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative, resolve as resolvePath } from 'node:path';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { readTextIfExists } from '../util/fs.js';
import { withLock } from '../util/lock.js';
import { copyTreeNoFollow } from '../util/copy-tree.js';
import { readableByAll } from '../util/no-follow.js';
import { extractBuildpackArchive, processOwner } from './archive.js';
import { builtinBuildpacksDir, builtinNames } from './builtin.js';
import { requireBin } from './check.js';
import { fetchBuildpack, isBuildpackUrl } from './fetch.js';
import { readBuildpackMetadata } from './metadata.js';
import type { BuildpackListing } from './types.js';

/** A member of an order group: a Cloud Native Buildpack by id (and version), as in order.toml. */
export interface GroupMemberRef {
  id: string;
  version?: string;
  optional: boolean;
}

/** One entry of the detect order as stored in registry.json. */
export type RegistryEntry =
  | { name: string; source: 'builtin' }
  | { name: string; source: 'registered'; origin: string; dir: string }
  | { name: string; source: 'group'; members: GroupMemberRef[] };

/** An entry that is one buildpack with files (not an order group). */
export type BuildpackEntry = Exclude<RegistryEntry, { source: 'group' }>;

interface RegistryFile {
  version: 1;
  order: RegistryEntry[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function registryPaths(home?: string) {
  const paths = homePaths(home);
  return {
    file: join(paths.buildpacks, 'registry.json'),
    lock: join(paths.locks, 'buildpacks.lock'),
    store: join(paths.buildpacks, 'registered'),
  };
}

/**
 * The detect order. Built-ins are entries like any other (they can be moved), and a built-in
 * added by a newer dropship joins at the end of an existing order.
 */
export async function readOrder(home?: string): Promise<RegistryEntry[]> {
  const { file } = registryPaths(home);
  let order: RegistryEntry[] = [];
  try {
    const text = await readTextIfExists(file);
    if (text !== undefined) order = (JSON.parse(text) as RegistryFile).order;
  } catch (error) {
    throw new DropshipError('BUILDPACK_REGISTRY_INVALID', `${file} is unreadable: ${(error as Error).message}`, {
      hint: `fix or remove ${file} (registered buildpacks would have to be created again)`,
      cause: error,
    });
  }
  const builtins = await builtinNames();
  order = order.filter((e) => e.source !== 'builtin' || builtins.includes(e.name));
  for (const name of builtins) {
    if (!order.some((e) => e.name === name)) order.push({ name, source: 'builtin' });
  }
  return order;
}

export function entryDir(entry: BuildpackEntry): string {
  return entry.source === 'builtin' ? join(builtinBuildpacksDir(), entry.name) : entry.dir;
}

export async function listBuildpacks(home?: string): Promise<BuildpackListing[]> {
  const order = await readOrder(home);
  return Promise.all(order.map(async (entry, i) => {
    if (entry.source === 'group') {
      return { position: i + 1, name: entry.name, version: '', stacks: [], api: 'group', source: 'group' as const, origin: entry.members.map(memberLabel).join(','), members: entry.members };
    }
    const meta = await readBuildpackMetadata(entryDir(entry)).catch(() => ({ version: '', stacks: [] as string[], api: '?' }));
    return {
      position: i + 1,
      name: entry.name,
      version: meta.version,
      stacks: meta.stacks,
      api: meta.api,
      source: entry.source,
      origin: entry.source === 'builtin' ? entryDir(entry) : entry.origin,
    };
  }));
}

function checkPosition(position: number | undefined, length: number): number | undefined {
  if (position === undefined) return undefined;
  if (!Number.isInteger(position) || position < 1) {
    throw new DropshipError('BUILDPACK_POSITION_INVALID', `--position: '${position}' is not a position (1 is first)`, {
      hint: `give a whole number from 1 to ${length}`,
    });
  }
  return Math.min(position, length);
}

/**
 * Copy, extract or download `origin` into the store as `<store>/<name>`, replacing what was
 * there only once the new copy is complete. Returns the buildpack's root (it may be nested).
 */
async function importBuildpack(origin: string, store: string, name: string, home?: string): Promise<string> {
  const staging = join(store, `.${name}.${process.pid}.new`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    let root: string;
    if (isBuildpackUrl(origin)) {
      const fetched = await fetchBuildpack(origin, { home });
      await copyBuildpackTree(fetched.dir, join(staging, 'bp'));
      root = join(staging, 'bp');
    } else {
      const info = await stat(origin).catch(() => undefined);
      if (!info) {
        throw new DropshipError('BUILDPACK_NOT_FOUND', `buildpack path ${origin} does not exist`, {
          hint: 'give a directory with bin/, a .tgz or .zip, or an http(s) URL',
        });
      }
      if (info.isDirectory()) {
        await copyBuildpackTree(origin, join(staging, 'bp'));
        root = join(staging, 'bp');
      } else {
        root = await extractBuildpackArchive(origin, join(staging, 'bp'), origin);
      }
    }
    await requireBin(root, `${origin} is not a buildpack: it has no bin/ directory`);
    const dir = join(store, name);
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
    return join(dir, relative(staging, root));
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A buildpack directory into the store, as root: links copied as links (never followed), no
 * setuid/setgid bits, devices or fifos, owned by root, readable but not writable by others.
 */
async function copyBuildpackTree(from: string, to: string): Promise<void> {
  await copyTreeNoFollow(from, to, { owner: processOwner(), mode: readableByAll });
}

/** Where a registered buildpack came from, as recorded: a URL as given, a path made absolute. */
function originOf(value: string): string {
  return isBuildpackUrl(value) ? value : resolvePath(value);
}

async function save(file: string, order: RegistryEntry[]): Promise<void> {
  await writeJsonAtomic(file, { version: 1, order } satisfies RegistryFile);
}

/** `dropship buildpack create NAME PATH|URL [--position N]` (default: last). */
function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new DropshipError('BUILDPACK_NAME_INVALID', `buildpack name '${name}' is not allowed`, {
      hint: 'use letters, digits, dot, dash and underscore, starting with a letter or digit',
    });
  }
}

export async function createBuildpack(name: string, origin: string, options: { position?: number; home?: string } = {}): Promise<BuildpackListing> {
  checkName(name);
  const paths = registryPaths(options.home);
  const source = originOf(origin);
  return withLock(paths.lock, async () => {
    const order = await readOrder(options.home);
    if (order.some((e) => e.name === name)) {
      throw new DropshipError('BUILDPACK_EXISTS', `a buildpack named '${name}' already exists`, {
        hint: `use 'dropship buildpack update ${name} --path ${origin}' to replace it`,
      });
    }
    const position = checkPosition(options.position, order.length + 1) ?? order.length + 1;
    const dir = await importBuildpack(source, paths.store, name, options.home);
    order.splice(position - 1, 0, { name, source: 'registered', origin: source, dir });
    await save(paths.file, order);
    return (await listBuildpacks(options.home))[position - 1]!;
  });
}

/** `dropship buildpack update NAME [--position N] [--path P]`. */
export async function updateBuildpack(name: string, options: { position?: number; path?: string; home?: string }): Promise<BuildpackListing> {
  const paths = registryPaths(options.home);
  return withLock(paths.lock, async () => {
    const order = await readOrder(options.home);
    const index = order.findIndex((e) => e.name === name);
    if (index < 0) throw notRegistered(name);
    let entry = order[index]!;
    if (options.path !== undefined) {
      if (entry.source === 'group') {
        throw new DropshipError('BUILDPACK_GROUP_NO_PATH', `'${name}' is an order group; it has no files`, {
          hint: `to change its members: dropship buildpack delete ${name}, then create it again with --group`,
        });
      }
      if (entry.source === 'builtin') {
        throw new DropshipError('BUILDPACK_BUILTIN', `'${name}' is built in; its files ship with dropship`, {
          hint: `register your version under another name: dropship buildpack create my-${name} ${options.path}`,
        });
      }
      const source = originOf(options.path);
      const dir = await importBuildpack(source, paths.store, name, options.home);
      entry = { name, source: 'registered', origin: source, dir };
    }
    order.splice(index, 1);
    const position = checkPosition(options.position, order.length + 1) ?? index + 1;
    order.splice(position - 1, 0, entry);
    await save(paths.file, order);
    return (await listBuildpacks(options.home))[position - 1]!;
  });
}

/** `dropship buildpack delete NAME`. Built-ins cannot be deleted, only moved. */
export async function deleteBuildpack(name: string, options: { home?: string } = {}): Promise<void> {
  const paths = registryPaths(options.home);
  await withLock(paths.lock, async () => {
    const order = await readOrder(options.home);
    const entry = order.find((e) => e.name === name);
    if (!entry) throw notRegistered(name);
    if (entry.source === 'builtin') {
      throw new DropshipError('BUILDPACK_BUILTIN', `'${name}' is built in and cannot be deleted`, {
        hint: `move it to the end of the detect order instead: dropship buildpack update ${name} --position ${order.length}`,
      });
    }
    if (entry.source === 'registered') {
      for (const group of order) {
        if (group.source !== 'group') continue;
        for (const m of group.members) {
          if ((await findMember(order, m))?.entry === entry) {
            throw new DropshipError('BUILDPACK_IN_GROUP', `'${name}' is member ${memberLabel(m)} of order group '${group.name}'`, {
              hint: `delete the group first: dropship buildpack delete ${group.name}`,
            });
          }
        }
      }
    }
    await save(paths.file, order.filter((e) => e !== entry));
    if (entry.source === 'registered') await rm(join(paths.store, name), { recursive: true, force: true });
  });
}

function notRegistered(name: string): DropshipError {
  return new DropshipError('BUILDPACK_NOT_FOUND', `no buildpack named '${name}'`, {
    hint: "'dropship buildpacks' lists the built-in and registered buildpacks",
  });
}

export function memberLabel(m: GroupMemberRef): string {
  return `${m.id}${m.version ? `@${m.version}` : ''}${m.optional ? ' (optional)' : ''}`;
}

/**
 * The registered Cloud Native Buildpack a group member names: the first in the detect order
 * whose buildpack.toml has that id (and version, when the member gives one).
 */
export async function findMember(order: RegistryEntry[], ref: GroupMemberRef): Promise<{ entry: BuildpackEntry; stacks: string[] } | undefined> {
  for (const entry of order) {
    if (entry.source === 'group') continue;
    const meta = await readBuildpackMetadata(entryDir(entry)).catch(() => undefined);
    if (meta && meta.api !== 'v2' && meta.name === ref.id && (ref.version === undefined || meta.version === ref.version)) return { entry, stacks: meta.stacks };
  }
  return undefined;
}

/** `ID[@VERSION],…` of `--group`, with `--optional ID,…` marking members optional. */
function parseGroup(spec: string, optional: string[]): GroupMemberRef[] {
  const members = spec.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s): GroupMemberRef => {
    const at = s.lastIndexOf('@');
    const [id, version] = at > 0 ? [s.slice(0, at), s.slice(at + 1)] : [s, undefined];
    if (!/^[A-Za-z0-9][A-Za-z0-9./_-]*$/.test(id) || version === '') {
      throw new DropshipError('BUILDPACK_GROUP_INVALID', `--group: '${s}' is not ID[@VERSION]`, { hint: 'give buildpack ids as in buildpack.toml, comma-separated: --group example/node,example/npm@1.2.0' });
    }
    return { id, ...(version ? { version } : {}), optional: optional.includes(id) };
  });
  if (members.length === 0) throw new DropshipError('BUILDPACK_GROUP_INVALID', `--group: '${spec}' names no buildpack`, { hint: 'give buildpack ids, comma-separated: --group example/node,example/npm' });
  const seen = new Set<string>();
  for (const m of members) {
    if (seen.has(m.id)) throw new DropshipError('BUILDPACK_GROUP_INVALID', `--group: ${m.id} appears twice`, { hint: 'name each buildpack of a group once' });
    seen.add(m.id);
  }
  const stray = optional.filter((id) => !seen.has(id));
  if (stray.length > 0) throw new DropshipError('BUILDPACK_GROUP_INVALID', `--optional: ${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} not in --group ${spec}`, { hint: 'mark as optional only members of the group' });
  return members;
}

/**
 * `dropship buildpack create NAME --group ID[@VERSION],… [--optional ID,…] [--position N]`: an
 * order group (order.toml's `[[order]] [[order.group]]`) of registered Cloud Native Buildpacks,
 * which builds without `-b` try as one group before the single buildpacks.
 */
export async function createGroup(name: string, spec: string, options: { optional?: string[]; position?: number; home?: string } = {}): Promise<BuildpackListing> {
  checkName(name);
  const members = parseGroup(spec, options.optional ?? []);
  const paths = registryPaths(options.home);
  return withLock(paths.lock, async () => {
    const order = await readOrder(options.home);
    if (order.some((e) => e.name === name)) {
      throw new DropshipError('BUILDPACK_EXISTS', `a buildpack named '${name}' already exists`, { hint: `delete it first (dropship buildpack delete ${name}) or choose another name` });
    }
    for (const m of members) {
      if (await findMember(order, m)) continue;
      const known = await cnbIds(order);
      throw new DropshipError('BUILDPACK_GROUP_MEMBER_UNKNOWN', `--group: no registered Cloud Native Buildpack has id ${m.id}${m.version ? ` and version ${m.version}` : ''}`, {
        hint: `register it first (dropship buildpack create NAME DIR); registered: ${known.length > 0 ? known.join(', ') : 'none'}`,
      });
    }
    const position = checkPosition(options.position, order.length + 1) ?? order.length + 1;
    order.splice(position - 1, 0, { name, source: 'group', members });
    await save(paths.file, order);
    return (await listBuildpacks(options.home))[position - 1]!;
  });
}

/** `id@version` of every registered Cloud Native Buildpack, for hints. */
async function cnbIds(order: RegistryEntry[]): Promise<string[]> {
  const ids: string[] = [];
  for (const entry of order) {
    if (entry.source === 'group') continue;
    const meta = await readBuildpackMetadata(entryDir(entry)).catch(() => undefined);
    if (meta && meta.api !== 'v2') ids.push(`${meta.name}@${meta.version}`);
  }
  return ids;
}
