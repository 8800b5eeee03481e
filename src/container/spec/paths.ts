import { MASKED_PATHS, READONLY_PATHS } from '../../security/masked-paths.js';
import type { OciSpec } from './oci.js';
import type { SpecOptions } from './options.js';

export function pathsRule(spec: OciSpec, _options: SpecOptions): OciSpec {
  return { ...spec, linux: { ...spec.linux, maskedPaths: [...MASKED_PATHS], readonlyPaths: [...READONLY_PATHS] } };
}
