import { parseToml as parse } from './toml.js';
import { DropshipError } from '../errors.js';
import { slicePattern, SlicePathError } from './slices.js';

/**
 * The files bin/build writes (buildpacks/spec buildpack.md, "Data Format"): `<layer>.toml`,
 * `launch.toml`, `build.toml`. Pure parsers; every error names the buildpack, file and field.
 */

export interface LayerTypes {
  launch: boolean;
  build: boolean;
  cache: boolean;
}

export interface LayerToml {
  types: LayerTypes;
  metadata: Record<string, unknown>;
}

export interface ProcessType {
  type: string;
  command: string[];
  args: string[];
  default: boolean;
  workingDir?: string;
}

export interface LaunchToml {
  processes: ProcessType[];
  labels: Array<{ key: string; value: string }>;
  slices: Array<{ paths: string[] }>;
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** `[[slices]]` of one launch.toml, and their `paths` together. */
export const MAX_SLICES = 64;
export const MAX_SLICE_PATHS = 1024;

function tomlError(buildpack: string, file: string, field: string, problem: string, hint: string): DropshipError {
  return new DropshipError('CNB_LAYER_TOML_INVALID', `buildpack ${buildpack}: ${file}: ${field}${field ? ': ' : ''}${problem}`, {
    hint, exitCode: 51, details: { buildpack, file, field },
  });
}

function parseToml(text: string, buildpack: string, file: string): Table {
  try {
    return parse(text) as Table;
  } catch (error) {
    throw tomlError(buildpack, file, '', `not valid TOML: ${(error as Error).message.split('\n')[0]}`, 'fix what bin/build writes');
  }
}

function bool(table: Table, key: string, buildpack: string, file: string, field: string): boolean {
  const value = table[key] ?? false;
  if (typeof value !== 'boolean') throw tomlError(buildpack, file, field, `must be true or false, not ${JSON.stringify(value)}`, `write ${key} = true`);
  return value;
}

function stringArray(value: unknown, buildpack: string, file: string, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw tomlError(buildpack, file, field, 'must be an array of strings', `write ${field.split(' ').pop()} = ["…"]`);
  }
  return value;
}

function tables(value: unknown, buildpack: string, file: string, field: string): Table[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(isTable)) throw tomlError(buildpack, file, field, 'must be an array of tables', `write [[${field}]]`);
  return value;
}

export function parseLayerToml(text: string, buildpack: string, file: string): LayerToml {
  const doc = parseToml(text, buildpack, file);
  const types = doc.types ?? {};
  if (!isTable(types)) throw tomlError(buildpack, file, '[types]', 'must be a table', 'write [types] launch = true');
  const metadata = doc.metadata ?? {};
  if (!isTable(metadata)) throw tomlError(buildpack, file, '[metadata]', 'must be a table', 'write [metadata] key = "value"');
  return {
    types: {
      launch: bool(types, 'launch', buildpack, file, '[types] launch'),
      build: bool(types, 'build', buildpack, file, '[types] build'),
      cache: bool(types, 'cache', buildpack, file, '[types] cache'),
    },
    metadata,
  };
}

const PROCESS_TYPE = /^[A-Za-z0-9_.-]+$/;

export function parseLaunchToml(text: string, buildpack: string, file = 'launch.toml'): LaunchToml {
  const doc = parseToml(text, buildpack, file);
  const processes = tables(doc.processes, buildpack, file, 'processes').map((p, i): ProcessType => {
    const field = `processes[${i}]`;
    if (typeof p.type !== 'string' || !PROCESS_TYPE.test(p.type)) {
      throw tomlError(buildpack, file, `${field} type`, `${JSON.stringify(p.type)} is not a process type`, 'use letters, digits, . _ -, e.g. type = "web"');
    }
    // Buildpack API 0.9+: command is an array; a plain string is the older form, refused so
    // that nobody's shell string silently loses its quoting.
    const command = stringArray(p.command, buildpack, file, `${field} command`);
    if (command.length === 0 || command[0] === '') {
      throw tomlError(buildpack, file, `${field} command`, `process '${p.type}' has no command`, 'write command = ["executable", "arg"] (an array since Buildpack API 0.9)');
    }
    const workingDir = p['working-dir'];
    if (workingDir !== undefined && typeof workingDir !== 'string') throw tomlError(buildpack, file, `${field} working-dir`, 'must be a string', 'write working-dir = "/workspace/sub"');
    return { type: p.type, command, args: stringArray(p.args, buildpack, file, `${field} args`), default: bool(p, 'default', buildpack, file, `${field} default`), ...(workingDir ? { workingDir } : {}) };
  });
  const labels = tables(doc.labels, buildpack, file, 'labels').map((l, i) => {
    if (typeof l.key !== 'string' || typeof l.value !== 'string') throw tomlError(buildpack, file, `labels[${i}]`, 'needs key and value strings', 'write key = "…" and value = "…"');
    return { key: l.key, value: l.value };
  });
  // Checked here, while the buildpack is named: a glob that could reach outside the app fails its build.
  const sliceTables = tables(doc.slices, buildpack, file, 'slices');
  // Each slice is a layer and every glob is tried against every app path: bounded, so a buildpack's
  // launch.toml cannot keep the exporter (and the image lock) busy for hours or make an image no runtime can stack.
  if (sliceTables.length > MAX_SLICES) throw tomlError(buildpack, file, 'slices', `has ${sliceTables.length} entries, more than the ${MAX_SLICES} an image may have`, 'slice the app into fewer layers');
  const globs = sliceTables.reduce((n, s) => n + (Array.isArray(s.paths) ? s.paths.length : 0), 0);
  if (globs > MAX_SLICE_PATHS) throw tomlError(buildpack, file, 'slices', `have ${globs} paths in all, more than the ${MAX_SLICE_PATHS} allowed`, 'match directories (a directory brings its subtree) rather than listing files');
  const slices = sliceTables.map((s, i) => ({
    paths: stringArray(s.paths, buildpack, file, `slices[${i}] paths`).map((raw, j) => {
      try {
        return slicePattern(raw);
      } catch (error) {
        if (!(error instanceof SlicePathError)) throw error;
        throw tomlError(buildpack, file, `slices[${i}] paths[${j}]`, error.message, 'write globs relative to the app directory, e.g. paths = ["static/*"]');
      }
    }),
  }));
  return { processes, labels, slices };
}

/** build.toml's `[[unmet]]` names: entries this buildpack leaves to later providers. */
export function parseBuildToml(text: string, buildpack: string, file = 'build.toml'): string[] {
  const doc = parseToml(text, buildpack, file);
  return tables(doc.unmet, buildpack, file, 'unmet').map((u, i) => {
    if (typeof u.name !== 'string') throw tomlError(buildpack, file, `unmet[${i}] name`, 'is missing', 'write [[unmet]] name = "…"');
    return u.name;
  });
}

/**
 * Process types of a group in order: a later buildpack's type replaces an earlier one's, and the
 * default is the last one marked default (CNB), else `web` when there is one.
 */
export function mergeProcessTypes(perBuildpack: ProcessType[][]): { processes: ProcessType[]; defaultType?: string } {
  const byType = new Map<string, ProcessType>();
  let defaultType: string | undefined;
  for (const list of perBuildpack) {
    for (const p of list) {
      byType.set(p.type, p);
      if (p.default) defaultType = p.type;
    }
  }
  const processes = [...byType.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  if (defaultType === undefined && byType.has('web')) defaultType = 'web';
  return { processes, ...(defaultType ? { defaultType } : {}) };
}
