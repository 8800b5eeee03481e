import { DropshipError } from '../errors.js';

/**
 * Names that become one path segment in the store (apps/<name>, cache/<name>, tmp/push-<name>-…,
 * locks/app-<name>.lock): one segment, never `.` or `..`, no separator, NUL, space or control
 * character, short enough for every prefix and suffix the store adds. Case is kept: `Shop` and
 * `shop` are two apps with two directories.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** True for a name the store can hold (e.g. a directory found under apps/). */
export function isValidName(name: string): boolean {
  return NAME.test(name);
}

/** What is wrong with a refused name, in words. */
function reason(name: string): string {
  if (name === '') return 'it is empty';
  if (name === '.' || name === '..') return 'it is a directory reference';
  if (name.includes('/') || name.includes('\\')) return 'it contains a path separator';
  if (name.length > 63) return `it has ${name.length} characters, at most 63 are allowed`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'it contains a control character';
  if (/[^\u0000-\u007f]/.test(name)) return 'it contains a non-ASCII character';
  if (!/^[A-Za-z0-9]/.test(name)) return 'it must start with a letter or digit';
  return `'${[...name].find((c) => !/[A-Za-z0-9._-]/.test(c))}' is not allowed`;
}

/** A name as the user can read it: control characters escaped, very long ones cut. */
function shown(name: string): string {
  const json = JSON.stringify(name.length > 80 ? `${name.slice(0, 40)}…${name.slice(-10)}` : name);
  return `'${json.slice(1, -1)}'`;
}

const RULE = "use 1 to 63 letters, digits, '.', '-' and '_', starting with a letter or digit";

export interface NameSource {
  /** Where the name came from (`--name`, `manifest.yml:4: applications[0].name`); opens the message. */
  source?: string;
  /** `app` unless said otherwise; also names the error code (INVALID_APP_NAME). */
  kind?: string;
  /** Said before the rule, e.g. how to give another name. */
  hint?: string;
}

/** The one check of a name a user gave, made before any path is built from it. */
export function checkName(name: string, { source, kind = 'app', hint }: NameSource = {}): string {
  if (NAME.test(name)) return name;
  throw new DropshipError(`INVALID_${kind.toUpperCase().replace(/\W+/g, '_')}_NAME`, `${source ? `${source}: ` : ''}${shown(name)} is not a valid ${kind} name: ${reason(name)}`, {
    hint: hint ? `${hint}; ${RULE}` : RULE,
    details: { source, kind },
  });
}
