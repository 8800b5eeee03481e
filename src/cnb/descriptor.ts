import { join } from 'node:path';
import { parseToml as parse } from './toml.js';
import { DropshipError } from '../errors.js';
import { readTextNoFollow } from '../util/no-follow.js';

/** Buildpack APIs this lifecycle implements (buildpacks/spec buildpack.md, "Buildpack API Version"). */
export const SUPPORTED_BUILDPACK_APIS = ['0.10', '0.11', '0.12'] as const;

/** One member of a composite's `[[order.group]]`. */
export interface GroupRef {
  id: string;
  version?: string;
  optional: boolean;
}

export interface Target {
  os?: string;
  arch?: string;
  variant?: string;
  distros: Array<{ name?: string; version?: string }>;
}

/** A parsed, validated buildpack.toml. */
export interface CnbDescriptor {
  api: string;
  id: string;
  name: string;
  version: string;
  homepage?: string;
  clearEnv: boolean;
  sbomFormats: string[];
  /** Composite buildpacks only: the groups to try, in order. */
  order?: GroupRef[][];
  targets: Target[];
  /** Deprecated `[[stacks]]` ids. */
  stacks: string[];
}

type Table = Record<string, unknown>;

/** Errors name the buildpack (when known), the file and the field: "… buildpack.toml: [buildpack] id: …". */
function invalid(file: string, field: string, problem: string, hint: string): DropshipError {
  return new DropshipError('CNB_BUILDPACK_TOML_INVALID', `${file}: ${field}: ${problem}`, { hint, exitCode: 1, details: { file, field } });
}

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function optionalString(table: Table, key: string, file: string, field: string): string | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(file, field, `must be a string, not ${JSON.stringify(value)}`, `write ${key} = "…"`);
  return value;
}

function requiredString(table: Table, key: string, file: string, field: string): string {
  const value = optionalString(table, key, file, field);
  if (value === undefined || value.trim() === '') throw invalid(file, field, 'is missing', `add ${key} = "…"`);
  return value;
}

function tables(value: unknown, file: string, field: string): Table[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(isTable)) throw invalid(file, field, 'must be an array of tables', `write [[${field}]] sections`);
  return value;
}

/** Ids are path-like (`samples/hello-world`) but become directory names: no `..`, no leading slash, no odd bytes. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

export function checkApi(api: string, file: string): void {
  if (!(SUPPORTED_BUILDPACK_APIS as readonly string[]).includes(api)) {
    throw new DropshipError('CNB_API_UNSUPPORTED', `${file}: api: Buildpack API ${api} is not supported (supported: ${SUPPORTED_BUILDPACK_APIS.join(', ')})`, {
      hint: 'use a release of the buildpack written for Buildpack API 0.10 to 0.12',
      exitCode: 12,
      details: { file, field: 'api' },
    });
  }
}

/** Parse and validate buildpack.toml text; `file` names it in errors. */
export function parseDescriptor(text: string, file: string): CnbDescriptor {
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (error) {
    throw new DropshipError('CNB_BUILDPACK_TOML_INVALID', `${file}: not valid TOML: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'fix the TOML syntax', cause: error, details: { file },
    });
  }
  const api = requiredString(doc, 'api', file, 'api');
  checkApi(api, file);
  if (!isTable(doc.buildpack)) throw invalid(file, '[buildpack]', 'is missing', 'add a [buildpack] table with id and version');
  const bp = doc.buildpack;
  const id = requiredString(bp, 'id', file, '[buildpack] id');
  if (!ID.test(id) || id === 'app' || id === 'config' || id === 'sbom') {
    throw invalid(file, '[buildpack] id', `'${id}' is not a valid buildpack id`, "use letters, digits, . _ - and / between parts, e.g. 'example/ruby' (app, config and sbom are reserved)");
  }
  const version = requiredString(bp, 'version', file, '[buildpack] version');
  const clearEnv = bp['clear-env'] ?? false;
  if (typeof clearEnv !== 'boolean') throw invalid(file, '[buildpack] clear-env', 'must be true or false', 'write clear-env = true');
  const sbom = bp['sbom-formats'] ?? [];
  if (!Array.isArray(sbom) || !sbom.every((s) => typeof s === 'string')) throw invalid(file, '[buildpack] sbom-formats', 'must be an array of media types', 'write sbom-formats = ["application/vnd.cyclonedx+json"]');
  const order = doc.order === undefined ? undefined : tables(doc.order, file, 'order').map((o, i) => {
    const group = tables(o.group, file, `order[${i}].group`);
    if (group.length === 0) throw invalid(file, `order[${i}].group`, 'is empty', 'list at least one buildpack in each [[order.group]]');
    return group.map((g, j): GroupRef => {
      const field = `order[${i}].group[${j}]`;
      const ref = requiredString(g, 'id', file, `${field} id`);
      const optional = g.optional ?? false;
      if (typeof optional !== 'boolean') throw invalid(file, `${field} optional`, 'must be true or false', 'write optional = true');
      return { id: ref, version: optionalString(g, 'version', file, `${field} version`), optional };
    });
  });
  if (order !== undefined && order.length === 0) throw invalid(file, 'order', 'is empty', 'a composite buildpack lists at least one [[order]]');
  const targets = tables(doc.targets, file, 'targets').map((t, i): Target => ({
    os: optionalString(t, 'os', file, `targets[${i}] os`),
    arch: optionalString(t, 'arch', file, `targets[${i}] arch`),
    variant: optionalString(t, 'variant', file, `targets[${i}] variant`),
    distros: tables(t.distros, file, `targets[${i}].distros`).map((d, j) => ({
      name: optionalString(d, 'name', file, `targets[${i}].distros[${j}] name`),
      version: optionalString(d, 'version', file, `targets[${i}].distros[${j}] version`),
    })),
  }));
  const stacks = tables(doc.stacks, file, 'stacks').map((s, i) => requiredString(s, 'id', file, `stacks[${i}] id`));
  return {
    api,
    id,
    name: optionalString(bp, 'name', file, '[buildpack] name') ?? id,
    version,
    homepage: optionalString(bp, 'homepage', file, '[buildpack] homepage'),
    clearEnv,
    sbomFormats: sbom as string[],
    ...(order ? { order } : {}),
    targets,
    stacks,
  };
}

/** Real buildpacks' descriptors list their dependencies and stay well below this; it bounds what root parses. */
const MAX_BUILDPACK_TOML_BYTES = 4 * 1024 * 1024;

/**
 * buildpack.toml of a directory, or undefined when it has none (a V2 buildpack). Opened without
 * following a link (a buildpack's author may point it at a root-only host file, whose text would
 * come back in a parse error): a link, fifo or device there is refused, naming the file.
 */
export async function readDescriptor(dir: string): Promise<CnbDescriptor | undefined> {
  const file = join(dir, 'buildpack.toml');
  const text = await readTextNoFollow(file, MAX_BUILDPACK_TOML_BYTES);
  return text === undefined ? undefined : parseDescriptor(text, file);
}

/** The platform's view of where it runs (CNB_TARGET_*), from the stack. */
export interface RunTarget {
  os: string;
  arch: string;
  distroName: string;
  distroVersion: string;
}

/** Does the buildpack declare it runs on `target`? No [[targets]] and no [[stacks]] means anywhere. */
export function supportsTarget(d: CnbDescriptor, target: RunTarget): boolean {
  if (d.targets.length === 0) return true;
  return d.targets.some((t) => (t.os === undefined || t.os === target.os) && (t.arch === undefined || t.arch === target.arch) &&
    (t.distros.length === 0 || t.distros.some((x) => (x.name === undefined || x.name === target.distroName) && (x.version === undefined || x.version === target.distroVersion))));
}
