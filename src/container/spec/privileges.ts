import type { OciSpec } from './oci.js';
import type { SpecOptions } from './options.js';

/** No setuid binary or file capability can raise a process's privileges. */
export function noNewPrivilegesRule(spec: OciSpec, _options: SpecOptions): OciSpec {
  return { ...spec, process: { ...spec.process, noNewPrivileges: true } };
}
