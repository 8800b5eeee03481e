import { access, constants } from 'node:fs/promises';
import { DropshipError } from '../errors.js';

/**
 * Debian's `tini` package ships this statically linked build: it runs in any root filesystem,
 * even one with no libc (the tiny stack is static busybox).
 */
export const TINI_STATIC = '/usr/bin/tini-static';

let found: Promise<string> | undefined;

/** The host path of the init every container runs as pid 1 (see spec/init.ts). */
export function containerInit(): Promise<string> {
  found ??= access(TINI_STATIC, constants.X_OK).then(
    () => TINI_STATIC,
    (error: unknown) => {
      found = undefined;
      throw new DropshipError('INIT_MISSING', `${TINI_STATIC} is missing: every container runs tini as its pid 1, to pass on signals and reap orphans`, {
        hint: 'apt-get install tini',
        cause: error,
      });
    },
  );
  return found;
}
