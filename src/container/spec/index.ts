import { apparmorRule } from './apparmor.js';
import { capabilitiesRule } from './capabilities.js';
import { hostnameRule } from './hostname.js';
import { idMapsRule } from './idmaps.js';
import { initRule } from './init.js';
import { limitsRule } from './limits.js';
import { mountsRule } from './mounts.js';
import { namespacesRule } from './namespaces.js';
import type { OciSpec } from './oci.js';
import type { SpecOptions, SpecRule } from './options.js';
import { pathsRule } from './paths.js';
import { noNewPrivilegesRule } from './privileges.js';
import { baseRule } from './process.js';
import { seccompRule } from './seccomp.js';

/** baseRule starts from nothing; initRule follows mountsRule, which sets the mount list. */
export const SPEC_RULES: readonly SpecRule[] = [
  baseRule,
  namespacesRule,
  idMapsRule,
  capabilitiesRule,
  seccompRule,
  pathsRule,
  mountsRule,
  initRule,
  limitsRule,
  noNewPrivilegesRule,
  hostnameRule,
  apparmorRule,
];

export function buildSpec(options: SpecOptions): OciSpec {
  return SPEC_RULES.reduce((spec, rule) => rule(spec, options), {} as OciSpec);
}

export { cpuSharesForMemory } from './limits.js';
export { INIT_PATH, INIT_ARGS } from './init.js';
export { OCI_VERSION, type OciSpec, type OciProcess, type OciMount } from './oci.js';
export type { SpecOptions, SpecRule } from './options.js';
