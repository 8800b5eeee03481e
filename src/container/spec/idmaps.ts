import type { OciSpec } from './oci.js';
import type { SpecOptions } from './options.js';

/** Container root is an unprivileged host id; files were shifted into the same range at unpack. */
export function idMapsRule(spec: OciSpec, options: SpecOptions): OciSpec {
  return {
    ...spec,
    linux: { ...spec.linux, uidMappings: [...options.idMap.uidMap], gidMappings: [...options.idMap.gidMap] },
  };
}
