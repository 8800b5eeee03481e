import { join } from 'node:path';
import ignore from 'ignore';
import { DropshipError } from '../errors.js';
import { readTextNoFollow } from '../util/no-follow.js';
import { parseToml } from './toml.js';

/**
 * The project descriptor (buildpacks/spec extensions/project-descriptor.md): `project.toml` in
 * the app dir, schema 0.2 (`[_]`, `[io.buildpacks]`) or the older 0.1 (`[project]`, `[build]`,
 * `[metadata]`). It is the app's own file: read without following a link, and only what one host
 * can honour is taken from it; anything else is refused naming the field.
 */

export interface ProjectGroupRef {
  /** Field path for messages, e.g. `io.buildpacks.group[1]`. */
  field: string;
  id?: string;
  version?: string;
  /** A path relative to the app dir (or a file: URI of one). */
  uri?: string;
}

export interface ProjectDescriptor {
  file: string;
  schemaVersion: '0.1' | '0.2';
  project: {
    id?: string;
    name?: string;
    version?: string;
    authors?: string[];
    documentationUrl?: string;
    sourceUrl?: string;
    licenses?: Array<{ type?: string; uri?: string }>;
  };
  metadata?: Record<string, unknown>;
  include?: string[];
  exclude?: string[];
  group: ProjectGroupRef[];
  env: Record<string, string>;
}

type Table = Record<string, unknown>;

const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

function invalid(file: string, field: string, problem: string, hint: string): DropshipError {
  return new DropshipError('PROJECT_TOML_INVALID', `${file}: ${field}: ${problem}`, { hint, details: { file, field } });
}

function str(t: Table, key: string, file: string, field: string): string | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalid(file, `${field}.${key}`, `must be a string, not ${JSON.stringify(v)}`, `write ${key} = "…"`);
  return v;
}

function strings(t: Table, key: string, file: string, field: string): string[] | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalid(file, `${field}.${key}`, 'must be an array of strings', `write ${key} = ["…"]`);
  return v as string[];
}

function table(t: Table, key: string, file: string, field: string): Table | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (!isTable(v)) throw invalid(file, field ? `${field}.${key}` : key, 'must be a table', `write [${field ? `${field}.` : ''}${key}]`);
  return v;
}

function tables(t: Table, key: string, file: string, field: string): Table[] {
  const v = t[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every(isTable)) throw invalid(file, `${field}.${key}`, 'must be an array of tables', `write [[${field}.${key}]]`);
  return v as Table[];
}

function known(t: Table, keys: string[], file: string, field: string, hint = 'see the project descriptor spec (schema 0.2)'): void {
  for (const key of Object.keys(t)) if (!keys.includes(key)) throw invalid(file, field ? `${field}.${key}` : key, 'is not a field dropship knows', hint);
}

function project(t: Table, file: string, field: string): ProjectDescriptor['project'] {
  const licenses = tables(t, 'licenses', file, field).map((l, i) => {
    known(l, ['type', 'uri'], file, `${field}.licenses[${i}]`);
    const type = str(l, 'type', file, `${field}.licenses[${i}]`);
    const uri = str(l, 'uri', file, `${field}.licenses[${i}]`);
    return { ...(type !== undefined ? { type } : {}), ...(uri !== undefined ? { uri } : {}) };
  });
  const out = {
    id: str(t, 'id', file, field), name: str(t, 'name', file, field), version: str(t, 'version', file, field),
    authors: strings(t, 'authors', file, field), documentationUrl: str(t, 'documentation-url', file, field),
    sourceUrl: str(t, 'source-url', file, field), ...(licenses.length ? { licenses } : {}),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

/** gitignore patterns, checked once: a pattern naming a parent (`..`) could only mean files outside the app. */
function patterns(list: string[] | undefined, file: string, field: string): string[] | undefined {
  if (list === undefined) return undefined;
  for (const [i, p] of list.entries()) {
    if (p.replace(/^!/, '').split('/').includes('..')) {
      throw invalid(file, `${field}[${i}]`, `'${p}' points outside the app directory`, 'include and exclude patterns match paths inside the app directory (gitignore syntax), e.g. "src/" or "*.log"');
    }
  }
  return list;
}

function group(list: Table[], file: string, field: string): ProjectGroupRef[] {
  return list.map((g, i) => {
    const f = `${field}[${i}]`;
    if (g.script !== undefined) throw invalid(file, `${f}.script`, 'inline buildpacks are not supported', 'put the script in a buildpack directory inside the app and give its uri = "./path"');
    known(g, ['id', 'version', 'uri'], file, f);
    const ref: ProjectGroupRef = { field: f, id: str(g, 'id', file, f), version: str(g, 'version', file, f), uri: str(g, 'uri', file, f) };
    if (!ref.id && !ref.uri) throw invalid(file, f, 'needs id (a registered buildpack) or uri (a buildpack directory inside the app)', 'write id = "example/ruby" or uri = "./buildpacks/ruby"');
    if (ref.uri !== undefined) {
      if (ref.version !== undefined) throw invalid(file, `${f}.version`, 'cannot be given with uri', 'give either id and version, or uri');
      const path = ref.uri.startsWith('file://') ? ref.uri.slice('file://'.length) : ref.uri;
      if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
        throw invalid(file, `${f}.uri`, `'${ref.uri}' is not supported: only a buildpack directory inside the app`, 'give uri = "./path/to/buildpack" (relative to project.toml), or register the buildpack with dropship buildpack create and name its id');
      }
      if (path.startsWith('/') || path.split('/').includes('..')) {
        throw invalid(file, `${f}.uri`, `'${ref.uri}' is outside the app directory`, 'a project.toml is the app\'s own file: its buildpacks are registered ones (id) or directories inside the app');
      }
      ref.uri = path;
    }
    return ref;
  });
}

function env(list: Table[], file: string, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, e] of list.entries()) {
    const f = `${field}[${i}]`;
    known(e, ['name', 'value'], file, f);
    const name = str(e, 'name', file, f);
    if (!name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw invalid(file, `${f}.name`, `${JSON.stringify(name ?? '')} is not a variable name`, 'use letters, digits and underscores, e.g. name = "JAVA_OPTS"');
    out[name] = str(e, 'value', file, f) ?? '';
  }
  return out;
}

function includeExclude(t: Table, file: string, field: string): Pick<ProjectDescriptor, 'include' | 'exclude'> {
  const include = patterns(strings(t, 'include', file, field), file, `${field}.include`);
  const exclude = patterns(strings(t, 'exclude', file, field), file, `${field}.exclude`);
  if (include && exclude) throw invalid(file, `${field}.include`, 'cannot be given with exclude', 'keep one: include lists what to build (all else left out), exclude what to leave out');
  return { ...(include ? { include } : {}), ...(exclude ? { exclude } : {}) };
}

export function parseProjectDescriptor(text: string, file: string): ProjectDescriptor {
  let doc: Table;
  try {
    doc = parseToml(text);
  } catch (error) {
    throw new DropshipError('PROJECT_TOML_INVALID', `${file}: not valid TOML: ${(error as Error).message.split('\n')[0]}`, { hint: 'fix the TOML syntax', cause: error, details: { file } });
  }
  const underscore = table(doc, '_', file, '');
  if (underscore) {
    const version = underscore['schema-version'];
    if (version === undefined) throw invalid(file, '_.schema-version', 'is missing', 'add schema-version = "0.2" to [_]');
    if (version !== '0.2') throw invalid(file, '_.schema-version', `schema ${JSON.stringify(version)} is not supported (supported: 0.2, and 0.1 without [_])`, 'write schema-version = "0.2"');
    known(doc, ['_', 'io'], file, '', 'schema 0.2 has [_] and [io.buildpacks] (other tables are for other tools); [project], [build] and [metadata] are schema 0.1');
    known(underscore, ['schema-version', 'id', 'name', 'version', 'authors', 'documentation-url', 'source-url', 'licenses', 'metadata'], file, '_');
    const metadata = table(underscore, 'metadata', file, '_');
    const io = table(doc, 'io', file, '');
    const bp = io ? table(io, 'buildpacks', file, 'io') : undefined;
    if (bp) {
      known(bp, ['builder', 'include', 'exclude', 'group', 'build', 'pre', 'post'], file, 'io.buildpacks');
      for (const key of ['pre', 'post']) {
        if (bp[key] !== undefined) throw invalid(file, `io.buildpacks.${key}.group`, 'is not supported', 'list every buildpack in [[io.buildpacks.group]]');
      }
      if (bp.builder !== undefined) throw invalid(file, 'io.buildpacks.builder', 'dropship builds on its stacks, not a builder image', 'remove builder; choose the stack with --stack');
    }
    const build = bp ? table(bp, 'build', file, 'io.buildpacks') : undefined;
    if (build) known(build, ['env'], file, 'io.buildpacks.build');
    return {
      file, schemaVersion: '0.2', project: project(underscore, file, '_'), ...(metadata ? { metadata } : {}),
      ...(bp ? includeExclude(bp, file, 'io.buildpacks') : {}),
      group: bp ? group(tables(bp, 'group', file, 'io.buildpacks'), file, 'io.buildpacks.group') : [],
      env: build ? env(tables(build, 'env', file, 'io.buildpacks.build'), file, 'io.buildpacks.build.env') : {},
    };
  }
  // Schema 0.1: [project], [build] with buildpacks and env, [metadata].
  known(doc, ['project', 'build', 'metadata'], file, '', 'write schema 0.2: [_] with schema-version = "0.2" and [io.buildpacks]');
  const proj = table(doc, 'project', file, '') ?? {};
  known(proj, ['id', 'name', 'version', 'authors', 'documentation-url', 'source-url', 'licenses'], file, 'project');
  const build = table(doc, 'build', file, '') ?? {};
  known(build, ['include', 'exclude', 'buildpacks', 'env', 'builder'], file, 'build');
  if (build.builder !== undefined) throw invalid(file, 'build.builder', 'dropship builds on its stacks, not a builder image', 'remove builder; choose the stack with --stack');
  const metadata = table(doc, 'metadata', file, '');
  return {
    file, schemaVersion: '0.1', project: project(proj, file, 'project'), ...(metadata ? { metadata } : {}),
    ...includeExclude(build, file, 'build'),
    group: group(tables(build, 'buildpacks', file, 'build'), file, 'build.buildpacks'),
    env: env(tables(build, 'env', file, 'build'), file, 'build.env'),
  };
}

/** `<appDir>/project.toml`, or undefined when the app has none. */
export async function readProjectDescriptor(appDir: string): Promise<ProjectDescriptor | undefined> {
  const file = join(appDir, 'project.toml');
  const text = await readTextNoFollow(file);
  return text === undefined ? undefined : parseProjectDescriptor(text, file);
}

/**
 * What of the app is copied into the workspace: `include` keeps only the files it matches (every
 * directory is walked, so `*.go` finds files at any depth), `exclude` leaves out what it matches.
 * Returns "leave it out" for a relative path.
 */
export function projectFilter(p: ProjectDescriptor | undefined): ((rel: string, isDirectory: boolean) => boolean) | undefined {
  if (p?.include) {
    const ig = ignore().add(p.include);
    return (rel, isDirectory) => !isDirectory && !ig.ignores(rel);
  }
  if (p?.exclude) {
    const ig = ignore().add(p.exclude);
    return (rel, isDirectory) => ig.ignores(isDirectory ? `${rel}/` : rel);
  }
  return undefined;
}

/**
 * `io.buildpacks.project.metadata` (platform.md): `source` as pack fills it from a project
 * descriptor (type "project", the declared version, the source URL), plus the descriptor's
 * `[_]` fields and its free-form `metadata`.
 */
export function projectMetadata(p: ProjectDescriptor | undefined): Record<string, unknown> {
  if (!p) return {};
  const { version, sourceUrl, ...rest } = p.project;
  return {
    source: {
      type: 'project',
      version: version !== undefined ? { declared: version } : {},
      metadata: { ...(sourceUrl !== undefined ? { url: sourceUrl } : {}), ...rest, ...(p.metadata ? { metadata: p.metadata } : {}) },
    },
  };
}
