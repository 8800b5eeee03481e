import type { OciSpec } from './oci.js';
import type { SpecOptions } from './options.js';

/**
 * Where the init is bound in the container. /dev is a fresh tmpfs in every container, so the
 * bind shadows nothing of the image and needs no write to its root filesystem.
 */
export const INIT_PATH = '/dev/init';

/**
 * `docker --init`'s arguments: -s registers tini as a subreaper (harmless as pid 1, needed if a
 * runtime ever starts it elsewhere), -g sends the signals it forwards to the whole process group
 * of the command, so a `sh -c` wrapper cannot swallow a SIGTERM.
 */
export const INIT_ARGS = ['-s', '-g', '--'] as const;

/**
 * pid 1 is tini: without an init the command itself is pid 1, which the kernel shields from
 * every signal it has no handler for (a SIGTERM is ignored, `timeout 3 httpd -f` never ends) and
 * which must reap orphans it knows nothing of. Only a container's first process gets it;
 * processes started with exec run under it.
 */
export function initRule(spec: OciSpec, options: SpecOptions): OciSpec {
  if (!options.init) return spec;
  return {
    ...spec,
    process: { ...spec.process, args: [INIT_PATH, ...INIT_ARGS, ...spec.process.args] },
    mounts: [...spec.mounts, { destination: INIT_PATH, type: 'bind', source: options.init, options: ['bind', 'ro', 'nosuid', 'nodev'] }],
  };
}
