import type { OciSpec } from './oci.js';
import type { SpecOptions } from './options.js';

/** Every namespace of its own; runc creates the network one so that `runc exec` can join it. */
export const NAMESPACES = ['pid', 'ipc', 'uts', 'mount', 'network', 'user', 'cgroup'] as const;

export function namespacesRule(spec: OciSpec, _options: SpecOptions): OciSpec {
  return { ...spec, linux: { ...spec.linux, namespaces: NAMESPACES.map((type) => ({ type })) } };
}
