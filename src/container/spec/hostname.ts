import type { OciSpec } from './oci.js';
import type { SpecOptions } from './options.js';

export function hostnameRule(spec: OciSpec, options: SpecOptions): OciSpec {
  return { ...spec, hostname: options.hostname };
}
