import { DropshipError, isDropshipError } from '../errors.js';
import { plainText } from '../util/plain-text.js';

/**
 * What a buildpack prints when it meets the tiny stack's busybox instead of the GNU tools (and
 * python3, apt, …) of cflinuxfs or Heroku's stacks: busybox's usage banner, `sed -u`, a GNU mktemp
 * template with fewer than six X's, or a missing interpreter.
 */
const TINY_MISSES = [
  /BusyBox v[\d.]+ .*multi-call binary/,
  /\b(sed|grep|mktemp|readlink|cp|tar|find|xargs|date|stat): (invalid|unrecognized) option/,
  /\bmktemp: .*Invalid argument/,
  /\b(python3?|perl|ruby|apt-get|dpkg|git|gcc|make|xz|curl|jq): (command )?not found/,
];

/** A line of buildpack output that says it met busybox (or a tool tiny lacks). */
export function isTinyMiss(line: string): boolean {
  const text = plainText(line);
  return TINY_MISSES.some((re) => re.test(text));
}

/**
 * A buildpack step that failed on `tiny` after printing such a line (anywhere in the staging's
 * output: busybox's usage text pushes it out of the error's last lines): the hint says to use bookworm.
 */
export function withStackHint(error: unknown, stack: string, sawTinyMiss: boolean): unknown {
  if (stack !== 'tiny' || !sawTinyMiss || !isDropshipError(error) || typeof error.details?.step !== 'string') return error;
  return new DropshipError(error.code, error.message, {
    hint: "the tiny stack has busybox, not GNU sed/mktemp/coreutils, and no python3 or apt: stage with --stack bookworm",
    exitCode: error.exitCode,
    details: error.details,
    cause: error,
  });
}
