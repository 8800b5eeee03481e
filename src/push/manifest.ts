import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { DropshipError } from '../errors.js';
import { checkName } from '../util/names.js';
import { parseQuota } from '../util/units.js';
import { isPlatformEnvName } from '../apps/index.js';
import { interpolateVars, type ManifestVars } from './manifest-vars.js';
import { isEnvName } from '../staging/env.js';

/**
 * Cloud Foundry's app manifest (`manifest.yml`), the fields one host can honour. Every value is
 * checked against the YAML node it came from, so an error names the file, line, app and field.
 */

export type HealthCheckKind = 'port' | 'http' | 'process';

export interface ManifestProcess {
  type: string;
  command?: string;
  instances?: number;
  memoryBytes?: number;
  diskBytes?: number;
  healthCheckType?: HealthCheckKind;
  healthCheckHttpEndpoint?: string;
  /** Start timeout in seconds (`timeout`). */
  timeoutSeconds?: number;
}

export interface ManifestApp extends Omit<ManifestProcess, 'type'> {
  name: string;
  /** Absolute, resolved against the manifest's directory. */
  path?: string;
  buildpacks?: string[];
  stack?: string;
  env?: Record<string, string>;
  processes?: ManifestProcess[];
  /** Line of the app's entry, for messages about it later. */
  line: number;
}

export interface Manifest {
  /** The path as the user gave it (used in messages). */
  file: string;
  applications: ManifestApp[];
}

const PROCESS_FIELDS = ['type', 'command', 'instances', 'memory', 'disk_quota', 'health-check-type',
  'health-check-http-endpoint', 'timeout'];
const APP_FIELDS = ['name', 'path', 'buildpacks', 'buildpack', 'stack', 'command', 'memory', 'disk_quota', 'instances',
  'env', 'health-check-type', 'health-check-http-endpoint', 'timeout', 'processes'];
/** Fields Cloud Foundry knows that mean nothing on one host: named as such, not as typos. */
const UNSUPPORTED_FIELDS = ['routes', 'route', 'random-route', 'no-route', 'domain', 'domains', 'host', 'hosts',
  'no-hostname', 'routes-path', 'services', 'docker', 'sidecars', 'metadata', 'inherit', 'log-rate-limit-per-second',
  'readiness-health-check-type', 'readiness-health-check-http-endpoint', 'readiness-health-check-invocation-timeout',
  'readiness-health-check-interval', 'health-check-invocation-timeout', 'health-check-interval', 'lifecycle', 'cnb-credentials'];
const HEALTH_CHECK_TYPES = ['port', 'http', 'process'];
const PROCESS_TYPE = /^[a-z0-9][a-z0-9_-]*$/i;

/** Edit distance, to suggest the field a typo meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

function closest(field: string, known: string[]): string | undefined {
  const normal = field.toLowerCase().replace(/_/g, '-');
  const scored = known.map((k) => ({ k, d: distance(normal, k.replace(/_/g, '-')) })).sort((x, y) => x.d - y.d);
  return scored[0] && scored[0].d <= Math.max(2, Math.floor(field.length / 4)) ? scored[0].k : undefined;
}

class ManifestReader {
  private readonly lines = new LineCounter();

  constructor(
    private readonly file: string,
    private readonly text: string,
    private readonly vars: ManifestVars,
  ) {}

  read(): Manifest {
    const doc = parseDocument(this.text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    const first = doc.errors[0];
    if (first) {
      throw new DropshipError('MANIFEST_INVALID', `${this.file}:${this.lineOf(first.pos[0])}: not valid YAML: ${first.message.split('\n')[0]}`, {
        hint: 'fix the YAML syntax (indentation, a missing colon or quote)',
        cause: first,
      });
    }
    interpolateVars(doc, this.vars, this.file, (offset) => this.lineOf(offset));
    const root = doc.contents;
    if (!isMap(root)) throw this.error(root, '', 'the manifest must be a map with an applications list', 'start the file with `applications:`');
    let applications: ManifestApp[] | undefined;
    for (const pair of root.items) {
      const key = this.keyOf(pair);
      if (key === 'applications') applications = this.applications(pair.value as Node | null);
      else if (key === 'version') {
        if (!isScalar(pair.value) || Number(pair.value.value) !== 1) {
          throw this.error(pair.value as Node, '', `'version' must be 1, got ${this.show(pair.value as Node)}`, 'remove the version line or write version: 1');
        }
      } else throw this.unknown(pair, '', ['applications', 'version']);
    }
    if (!applications) throw this.error(root, '', "no 'applications' list", 'add `applications:` with one `- name: APP` entry per app');
    return { file: this.file, applications };
  }

  private applications(node: Node | null): ManifestApp[] {
    if (!isSeq(node) || node.items.length === 0) {
      throw this.error(node, '', "'applications' must be a list of apps, got " + this.show(node), 'write each app as `- name: APP` under applications:');
    }
    const apps = node.items.map((item, index) => this.app(item as Node, index));
    const seen = new Map<string, number>();
    apps.forEach((app, index) => {
      if (seen.has(app.name)) {
        throw this.error(node.items[index] as Node, `applications[${index}] (${app.name})`, `the name is already used by applications[${seen.get(app.name)}]`, 'give every app its own name');
      }
      seen.set(app.name, index);
    });
    return apps;
  }

  private app(node: Node, index: number): ManifestApp {
    if (!isMap(node)) throw this.error(node, `applications[${index}]`, `an app must be a map, got ${this.show(node)}`, 'write `- name: APP` and its fields indented below it');
    const namePair = node.items.find((p) => this.keyOf(p) === 'name');
    if (!namePair) throw this.error(node, `applications[${index}]`, "'name' is missing", 'every app needs `name: APP`');
    const name = this.string(namePair.value as Node, `applications[${index}]`, 'name');
    checkName(name, { source: `${this.file}:${this.lineOf((namePair.value as Node).range?.[0] ?? 0)}: applications[${index}].name` });
    const where = `applications[${index}] (${name})`;
    const app: ManifestApp = { name, line: this.lineOf(node.range?.[0] ?? 0) };
    let legacyBuildpack: Pair | undefined;
    for (const pair of node.items) {
      const key = this.keyOf(pair);
      const value = pair.value as Node;
      if (!APP_FIELDS.includes(key)) throw this.unknown(pair, where, APP_FIELDS);
      switch (key) {
        case 'name':
          break;
        case 'path':
          app.path = resolve(dirname(resolve(this.file)), this.string(value, where, key));
          break;
        case 'buildpacks':
          app.buildpacks = this.stringList(value, where, key);
          break;
        case 'buildpack':
          legacyBuildpack = pair;
          app.buildpacks = [this.string(value, where, key)];
          break;
        case 'stack':
          app.stack = this.string(value, where, key);
          break;
        case 'env':
          app.env = this.env(value, where);
          break;
        case 'processes':
          app.processes = this.processes(value, where);
          break;
        default:
          this.processField(app, key, value, where);
      }
    }
    if (legacyBuildpack && node.items.some((p) => this.keyOf(p) === 'buildpacks')) {
      throw this.error(legacyBuildpack.key as Node, where, "both 'buildpack' and 'buildpacks' are set", "keep only 'buildpacks' (a list); 'buildpack' is the old single form");
    }
    return app;
  }

  private processes(node: Node, where: string): ManifestProcess[] {
    if (!isSeq(node)) throw this.error(node, where, `'processes' must be a list, got ${this.show(node)}`, 'write each process as `- type: web` with its fields below');
    const seen = new Set<string>();
    return node.items.map((item, index) => {
      const at = `${where} processes[${index}]`;
      if (!isMap(item)) throw this.error(item as Node, at, `a process must be a map, got ${this.show(item as Node)}`, 'write `- type: worker` and its fields below');
      const typePair = item.items.find((p) => this.keyOf(p) === 'type');
      if (!typePair) throw this.error(item, at, "'type' is missing", 'every process needs `type: web` (or worker, …)');
      const type = this.string(typePair.value as Node, at, 'type');
      if (!PROCESS_TYPE.test(type)) throw this.error(typePair.value as Node, at, `'type' must be a word like web or worker, got '${type}'`, 'use letters, digits, - and _');
      if (seen.has(type)) throw this.error(typePair.value as Node, at, `process type '${type}' appears twice`, 'list each process type once');
      seen.add(type);
      const process: ManifestProcess = { type };
      const within = `${at} (${type})`;
      for (const pair of (item as YAMLMap).items) {
        const key = this.keyOf(pair);
        if (!PROCESS_FIELDS.includes(key)) throw this.unknown(pair, within, PROCESS_FIELDS);
        if (key !== 'type') this.processField(process, key, pair.value as Node, within);
      }
      return process;
    });
  }

  /** The fields an app and a process share. */
  private processField(target: Omit<ManifestProcess, 'type'>, key: string, value: Node, where: string): void {
    switch (key) {
      case 'command':
        target.command = this.string(value, where, key);
        break;
      case 'instances':
        target.instances = this.wholeNumber(value, where, key, 0);
        break;
      case 'timeout':
        target.timeoutSeconds = this.wholeNumber(value, where, key, 1);
        break;
      case 'memory':
        target.memoryBytes = this.size(value, where, key);
        break;
      case 'disk_quota':
        target.diskBytes = this.size(value, where, key);
        break;
      case 'health-check-type': {
        let type = this.string(value, where, key);
        if (type === 'none') type = 'process';
        if (!HEALTH_CHECK_TYPES.includes(type)) {
          throw this.error(value, where, `'${key}' must be port, http or process, got '${type}'`, 'port checks a TCP connect to $PORT, http a 200 from an endpoint, process that it runs');
        }
        target.healthCheckType = type as HealthCheckKind;
        break;
      }
      case 'health-check-http-endpoint': {
        const endpoint = this.string(value, where, key);
        if (!endpoint.startsWith('/')) throw this.error(value, where, `'${key}' must be a path starting with /, got '${endpoint}'`, 'write it like /health');
        target.healthCheckHttpEndpoint = endpoint;
        break;
      }
    }
  }

  private env(node: Node, where: string): Record<string, string> {
    if (!isMap(node)) throw this.error(node, where, `'env' must be a map of NAME: value, got ${this.show(node)}`, 'write one `NAME: value` per line under env:');
    const env: Record<string, string> = {};
    for (const pair of node.items) {
      const key = this.keyOf(pair);
      if (!isEnvName(key)) throw this.error(pair.key as Node, where, `env name '${key}' is not a shell variable name`, 'use letters, digits and _, not starting with a digit');
      if (isPlatformEnvName(key)) {
        throw this.error(pair.key as Node, where, `env '${key}' is set by the platform for every instance`, 'remove it: the platform sets PORT (8080), MEMORY_LIMIT, INSTANCE_*, CF_INSTANCE_* and VCAP_*');
      }
      const value = pair.value as Node | null;
      if (!isScalar(value) || value.value === null) {
        throw this.error(value ?? (pair.key as Node), where, `env '${key}' must be a string, number or boolean, got ${this.show(value)}`, "quote the value, e.g. KEY: 'value'");
      }
      env[key] = String(value.value);
    }
    return env;
  }

  private string(node: Node | null, where: string, key: string): string {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object' || String(node.value) === '') {
      throw this.error(node, where, `'${key}' must be a non-empty string, got ${this.show(node)}`, `write ${key}: VALUE`);
    }
    return String(node.value);
  }

  private stringList(node: Node, where: string, key: string): string[] {
    if (!isSeq(node) || node.items.length === 0) {
      throw this.error(node, where, `'${key}' must be a list of names, got ${this.show(node)}`, `write ${key}: [nodejs] or one \`- name\` per line`);
    }
    return node.items.map((item) => this.string(item as Node, where, key));
  }

  private wholeNumber(node: Node, where: string, key: string, min: number): number {
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw this.error(node, where, `'${key}' must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got ${this.show(node)}`, `write ${key}: ${min > 0 ? 60 : 2}`);
    }
    return value;
  }

  /** Sizes as Cloud Foundry writes them (256M, 1G); a bare number means megabytes, as on the command line. */
  private size(node: Node, where: string, key: string): number {
    const value = isScalar(node) ? node.value : undefined;
    const hint = `write ${key}: 256M (units B, K, M, G, T; at least 16M)`;
    if ((typeof value === 'number' && Number.isInteger(value)) || typeof value === 'string') {
      try {
        return parseQuota(String(value), key);
      } catch (error) {
        throw this.error(node, where, `'${key}' must be a size, got ${this.show(node)}`, hint, error);
      }
    }
    throw this.error(node, where, `'${key}' must be a size, got ${this.show(node)}`, hint);
  }

  private keyOf(pair: Pair): string {
    if (!isScalar(pair.key)) throw this.error(pair.key as Node, '', 'keys must be plain words', 'write field: value');
    return String(pair.key.value);
  }

  private unknown(pair: Pair, where: string, known: string[]): DropshipError {
    const key = this.keyOf(pair);
    if (UNSUPPORTED_FIELDS.includes(key)) {
      return this.error(pair.key as Node, where, `'${key}' is a Cloud Foundry field dropship does not support on one host`, `remove '${key}'; apps are reached at http://127.0.0.1:PORT (push -p PORT picks the port)`);
    }
    const guess = closest(key, known);
    return this.error(pair.key as Node, where, `unknown field '${key}'`, guess ? `did you mean '${guess}'?` : `known fields: ${known.join(', ')}`);
  }

  private show(node: Node | null | undefined): string {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return 'nothing';
    if (isScalar(node)) return `'${String(node.value)}'`;
    if (isSeq(node)) return 'a list';
    if (isMap(node)) return 'a map';
    return String(node);
  }

  private lineOf(offset: number): number {
    return this.lines.linePos(offset).line;
  }

  private error(node: Node | null | undefined, where: string, message: string, hint: string, cause?: unknown): DropshipError {
    const line = this.lineOf(node?.range?.[0] ?? 0);
    return new DropshipError('MANIFEST_INVALID', `${this.file}:${line}: ${where ? `${where}: ` : ''}${message}`, {
      hint,
      cause,
      details: { file: this.file, line },
    });
  }
}

/** Parse manifest text; `file` is how messages name it. */
export function parseManifest(text: string, file = 'manifest.yml', vars: ManifestVars = {}): Manifest {
  return new ManifestReader(file, text, vars).read();
}

/** Read and check a manifest, filling its `((vars))` from `vars`. */
export async function readManifest(file: string, vars: ManifestVars = {}): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new DropshipError('MANIFEST_NOT_FOUND', `cannot read manifest ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'check the path given with -f',
      cause: error,
    });
  }
  return parseManifest(text, file, vars);
}
