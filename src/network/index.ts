// The network room: a routed veth per container (no shared L2), host ports, the data path, security groups.
export { attachNetwork, ensureNetwork, prepareNetwork, teardownNetwork } from './attach.js';
export { gcNetwork, type NetworkGcOptions, type NetworkGcReport } from './gc.js';
export { gcDataPaths, removeDataPath, setBackends, setManyBackends, type Backend, type DataPathChange } from './data-path.js';
export { hostPortOf, releaseHostPort, reserveHostPort } from './host-ports.js';
export { freeAddressCount } from './capacity.js';
export {
  applySecurityGroups,
  bindSecurityGroup,
  createSecurityGroup,
  deleteSecurityGroup,
  listSecurityGroups,
  refreshBindings,
  unbindSecurityGroup,
  updateSecurityGroup,
  type BindTarget,
  type RefreshReport,
} from './security-groups.js';
export { DEFAULT_SUBNET, loadNetworkConfig, type NetworkConfig } from './config.js';
export { parsePortMapping, DEFAULT_CONTAINER_PORT, PORT_POOL_START } from './ports.js';
export { parseDestinations, parsePorts, parseRules } from './rules.js';
export { formatCidr, formatIp, parseCidr } from './ipv4.js';
export { publicNetworkRanges, NON_PUBLIC_CIDRS } from './defaults.js';
export { LEGACY_BRIDGE, VETH_PREFIX } from './names.js';
export type {
  AttachOptions,
  HostPort,
  NetworkAttachment,
  NetworkKind,
  PortMapping,
  PreparedNetwork,
  SecurityGroup,
  SecurityGroupInfo,
  SecurityGroupRule,
} from './types.js';
