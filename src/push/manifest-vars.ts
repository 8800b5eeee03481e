import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parse, parseDocument, visit, type Document } from 'yaml';
import { DropshipError } from '../errors.js';

/** `((name))` in a manifest, as `cf push --var/--vars-file` fill them. */
const VAR = /\(\(([A-Za-z0-9_.-]+)\)\)/g;
const WHOLE_VAR = /^\(\(([A-Za-z0-9_.-]+)\)\)$/;
const VAR_NAME = /^[A-Za-z0-9_.-]+$/;

export type ManifestVars = Record<string, unknown>;

function varError(message: string, hint: string): DropshipError {
  return new DropshipError('MANIFEST_VAR', message, { hint });
}

/** `--var K=V` (repeatable); a later one wins, as over the vars files before them. */
export function parseVarFlags(pairs: string[]): ManifestVars {
  const vars: ManifestVars = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq) : '';
    if (!VAR_NAME.test(name)) throw varError(`--var '${pair}': expected NAME=VALUE`, 'write --var instances=2; NAME is letters, digits, ., - and _');
    // A value is read as YAML reads a plain scalar, so `--var n=3` fills `instances: ((n))` with a number.
    const text = pair.slice(eq + 1);
    const value: unknown = parse(text);
    vars[name] = value === null || typeof value === 'object' ? text : value;
  }
  return vars;
}

/** One `--vars-file`: a YAML map of names to values. */
export async function readVarsFile(file: string): Promise<ManifestVars> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new DropshipError('MANIFEST_VAR', `--vars-file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'give the path of a YAML file of `name: value` lines',
      cause: error,
    });
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) throw varError(`--vars-file ${file}:${lines.linePos(first.pos[0]).line}: not valid YAML: ${first.message.split('\n')[0]}`, 'fix the YAML syntax');
  if (doc.contents !== null && !isMap(doc.contents)) throw varError(`--vars-file ${file}:1: must be a map of name: value`, 'write one `name: value` per line');
  const vars: ManifestVars = {};
  for (const pair of doc.contents?.items ?? []) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const at = lines.linePos((isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? 0).line;
    if (!VAR_NAME.test(name)) throw varError(`--vars-file ${file}:${at}: '${name}' is not a var name`, 'use letters, digits, ., - and _');
    if (!isScalar(pair.value)) throw varError(`--vars-file ${file}:${at}: '${name}' must be a string, number or boolean`, 'a var fills one manifest value');
    vars[name] = pair.value.value;
  }
  return vars;
}

/**
 * Fill `((name))` in every scalar of a parsed manifest. Filling parsed nodes, not the text, means a
 * value can never add YAML structure; a scalar that is exactly `((n))` takes the var's type.
 * An unresolved var is an error naming it and its line.
 */
export function interpolateVars(doc: Document, vars: ManifestVars, file: string, lineOf: (offset: number) => number): void {
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('((')) return;
      const missing = [...node.value.matchAll(VAR)].map((m) => m[1]!).find((name) => !(name in vars));
      if (missing !== undefined) {
        throw new DropshipError('MANIFEST_VAR', `${file}:${lineOf(node.range?.[0] ?? 0)}: ((${missing})) is not set`, {
          hint: `give it with --var ${missing}=VALUE or in a --vars-file`,
          details: { file, line: lineOf(node.range?.[0] ?? 0), var: missing },
        });
      }
      const whole = WHOLE_VAR.exec(node.value);
      node.value = whole ? vars[whole[1]!] : node.value.replace(VAR, (_m, name: string) => String(vars[name]));
    },
  });
}
