import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { compileGlob, GlobError } from './glob.js';
import { CNB_PATHS } from './layout.js';

/**
 * App slices (buildpack.md "launch.toml" `[[slices]]`, platform.md "Exporter"): each slice of
 * each buildpack, in group order, becomes a layer of the app files it matches; what no slice
 * took goes in the last app layer. As the reference exporter: a file is in the first slice that
 * matches it; a matched directory brings its whole subtree; a slice layer also holds the
 * directories above its files, and a directory whose every child was sliced leaves the rest.
 */

/** A slice as the exporter takes it: globs relative to the app dir, already checked. */
export interface AppSlice {
  buildpackId: string;
  /** Position among the buildpack's own `[[slices]]`, for messages. */
  index: number;
  paths: string[];
}

export class SlicePathError extends Error {}

/**
 * One `paths` entry as a glob relative to the app dir. Absolute paths are allowed inside the app
 * dir (`/workspace/...`, as buildpack.md allows); anything that could reach outside it (`..`, an
 * absolute path elsewhere) or a malformed glob is refused.
 */
export function slicePattern(raw: string): string {
  let path = raw;
  if (path.startsWith('/')) {
    if (path !== CNB_PATHS.app && !path.startsWith(`${CNB_PATHS.app}/`)) throw new SlicePathError(`'${raw}' is outside the app directory ${CNB_PATHS.app}`);
    path = path.slice(CNB_PATHS.app.length);
  }
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new SlicePathError(`'${raw}' climbs out of the app directory with ..`);
  if (parts.length === 0) throw new SlicePathError(`'${raw}' names the app directory itself, not paths inside it`);
  const pattern = parts.join('/');
  try {
    compileGlob(pattern);
  } catch (error) {
    if (error instanceof GlobError) throw new SlicePathError(`'${raw}' is not a valid glob: ${error.message}`);
    throw error;
  }
  return pattern;
}

export interface SliceLayout {
  /** For each slice: the relative paths its layer holds (members and their parent directories); empty when it matched nothing. */
  slices: Array<Set<string>>;
  /** Paths that are in some slice and so not in the last app layer. */
  sliced: Set<string>;
}

/**
 * Walk the built app dir (on the host, once the build container is gone; links are entries,
 * never followed) and share its paths out among the slices.
 */
export async function layoutSlices(appDir: string, slices: AppSlice[]): Promise<SliceLayout> {
  const all: string[] = [];
  const children = new Map<string, string[]>();
  const walk = async (rel: string) => {
    const kids: string[] = [];
    const dir = rel ? join(appDir, rel) : appDir;
    // The tree is the build's: a directory deeper than PATH_MAX is its doing, and is one error line.
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
      throw new DropshipError('CNB_APP_UNREADABLE', `cannot read ${dir} to lay out the app's slices: ${(error as Error).message}`, {
        cause: error, exitCode: 62, hint: 'the buildpacks left an app directory the host cannot walk (e.g. nested deeper than 4096 bytes of path); keep /workspace shallower',
      });
    });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      all.push(path);
      kids.push(path);
      if (entry.isDirectory()) await walk(path);
    }
    children.set(rel, kids);
  };
  if (slices.length) await walk('');
  const sliced = new Set<string>();
  const out: Array<Set<string>> = [];
  for (const slice of slices) {
    const globs = slice.paths.map((p) => compileGlob(p));
    const members = new Set<string>();
    const take = (path: string) => {
      if (sliced.has(path)) return;
      sliced.add(path);
      members.add(path);
      for (const child of children.get(path) ?? []) take(child);
    };
    for (const path of all) if (globs.some((g) => g.test(path))) take(path);
    const parents = new Set<string>();
    for (const path of members) {
      for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
        const parent = path.slice(0, i);
        if (!members.has(parent)) parents.add(parent);
      }
    }
    // Deepest first, so a directory is judged after the directories below it.
    const depth = (p: string) => p.split('/').length;
    for (const dir of [...parents].sort((a, b) => depth(b) - depth(a))) {
      if ((children.get(dir) ?? []).every((c) => sliced.has(c))) sliced.add(dir);
    }
    out.push(new Set([...members, ...parents]));
  }
  return { slices: out, sliced };
}
