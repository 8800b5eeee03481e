import { DEFAULT_CAPABILITIES } from '../../security/capabilities.js';
import type { OciSpec } from './oci.js';
import type { SpecOptions } from './options.js';

/**
 * Container root gets the 14 capabilities; any other user gets none at all, so that an app
 * running as vcap holds nothing it could use even through a setuid-less exploit. The bounding
 * set stays the 14 for everyone, so that nothing can ever go beyond it.
 */
export function capabilitiesRule(spec: OciSpec, options: SpecOptions): OciSpec {
  const caps = [...DEFAULT_CAPABILITIES];
  const root = options.user.uid === 0;
  return {
    ...spec,
    process: {
      ...spec.process,
      capabilities: {
        bounding: caps,
        effective: root ? caps : [],
        permitted: root ? caps : [],
        inheritable: [],
        ambient: [],
      },
    },
  };
}
