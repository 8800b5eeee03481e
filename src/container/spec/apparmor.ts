import type { OciSpec } from './oci.js';
import type { SpecOptions } from './options.js';

/** Named only when the profile is loaded: runc refuses a profile the kernel cannot apply. */
export function apparmorRule(spec: OciSpec, options: SpecOptions): OciSpec {
  if (!options.apparmorProfile) return spec;
  return { ...spec, process: { ...spec.process, apparmorProfile: options.apparmorProfile } };
}
