import type { BindMount } from '../container/types.js';

/** `-p HOSTPORT[:CONTAINERPORT]`; no host port means one from the pool, no container port means 8080. */
export interface PortMapping {
  host?: number;
  container?: number;
}

export interface HostPort {
  host: number;
  container: number;
}

export type NetworkKind = 'staging' | 'running';

export interface AttachOptions {
  containerId: string;
  kind: NetworkKind;
  app?: string;
  hostname?: string;
  ports?: PortMapping[];
  /** Groups for this container on top of the bound ones (`run-task --security-group`). */
  securityGroups?: string[];
}

export interface PreparedNetwork {
  ip: string;
  gateway: string;
  hostPorts: HostPort[];
  /** Bind mounts for ContainerOptions.mounts (read-only /etc/hosts and /etc/resolv.conf). */
  mounts: BindMount[];
  /** Things the user should know (e.g. no usable nameserver). */
  warnings: string[];
}

export interface NetworkAttachment extends PreparedNetwork {
  containerId: string;
  /** Remove veth, rules, chain, lease and files. Safe to call twice. */
  teardown(): Promise<void>;
}

export type Protocol = 'tcp' | 'udp' | 'icmp' | 'all';

/** A rule in Cloud Foundry's application security group format. */
export interface SecurityGroupRule {
  protocol: Protocol;
  destination: string;
  ports?: string;
  type?: number;
  code?: number;
  log?: boolean;
  description?: string;
}

export interface SecurityGroup {
  name: string;
  rules: SecurityGroupRule[];
}

export interface Lease {
  containerId: string;
  /** 10 hex digits naming the routed veth (`ds-<short>`) and the chain (`DROPSHIP-SG-<short>`). */
  short: string;
  ip: string;
  kind: NetworkKind;
  app?: string;
  hostname: string;
  securityGroups: string[];
  hostPorts: HostPort[];
  /**
   * `pid:start` of the process that took the lease (formatOwner): between the lease and the
   * container's creation the runtime does not know the container, and gc must not take its address.
   */
  holder?: string;
  /** Set once the veth and rules are in place; security group updates touch attached containers only. */
  attached?: boolean;
  /** Digest of the rules last written to the container's chain; unchanged rules are not rewritten. */
  appliedDigest?: string;
  createdAt: string;
}

export interface LeaseFile {
  version: 1;
  subnet: string;
  leases: Record<string, Lease>;
}

export interface Binding {
  group: string;
  kind: NetworkKind;
  /** Absent: every app (global binding). */
  app?: string;
}

export interface GroupStore {
  version: 1;
  groups: Record<string, { rules: SecurityGroupRule[]; updatedAt: string }>;
  bindings: Binding[];
}

export interface SecurityGroupInfo extends SecurityGroup {
  bindings: { kind: NetworkKind; app?: string }[];
}
