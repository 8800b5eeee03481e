import { defaultSeccompProfile } from '../../security/seccomp/profile.js';
import type { OciSpec } from './oci.js';
import type { SpecOptions } from './options.js';

export function seccompRule(spec: OciSpec, _options: SpecOptions): OciSpec {
  return { ...spec, linux: { ...spec.linux, seccomp: defaultSeccompProfile() } };
}
