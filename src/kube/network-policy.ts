import type { INetworkPolicyEgressRule, INetworkPolicyPeer, INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1';
import { parseCidr, formatCidr } from '../network/ipv4.js';
import { parseDestinations, parsePorts, parseRules } from '../network/rules.js';
import type { SecurityGroupRule } from '../network/types.js';
import { rangeToCidrs } from './cidr.js';

type NetworkPolicyPort = INetworkPolicyPort & { protocol: 'TCP' | 'UDP' };

/**
 * Cluster DNS as a NetworkPolicy peer. Pods resolve names through kube-dns/CoreDNS, a pod in
 * kube-system that no Cloud Foundry destination names, so a group that opens port 53 is taken to
 * mean "may resolve names" and gets this peer.
 */
const CLUSTER_DNS_PEER: INetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};

const DNS_PORTS: NetworkPolicyPort[] = [
  { protocol: 'UDP', port: 53 },
  { protocol: 'TCP', port: 53 },
];

function describe(rule: SecurityGroupRule, index: number): string {
  return `security group rule ${index + 1} (${rule.protocol} to ${rule.destination})`;
}

/** Destinations (validated by parseRules) as CIDRs: `a.b.c.d` → /32, CIDRs normalised to their network address, `a-b` split. */
function ipBlocks(rule: SecurityGroupRule): string[] {
  return parseDestinations(rule.destination)!.flatMap((d) => ('cidr' in d ? [formatCidr(parseCidr(d.cidr)!)] : rangeToCidrs(d.first, d.last)));
}

function ports(rule: SecurityGroupRule): NetworkPolicyPort[] | undefined {
  if (rule.protocol === 'all') return undefined;
  const protocol = rule.protocol === 'tcp' ? 'TCP' : 'UDP';
  if (rule.ports === undefined) return [{ protocol }];
  return parsePorts(rule.ports)!.map((s) => (s.first === s.last ? { protocol, port: s.first } : { protocol, port: s.first, endPort: s.last }));
}

function opensDns(rule: SecurityGroupRule): boolean {
  if (rule.protocol !== 'tcp' && rule.protocol !== 'udp') return false;
  if (rule.ports === undefined) return true;
  return (parsePorts(rule.ports) ?? []).some((s) => s.first <= 53 && 53 <= s.last);
}

/**
 * A running security group as NetworkPolicy egress: one egress rule per Cloud Foundry rule
 * (ipBlock per CIDR, ports with endPort for ranges, no ports for `all`). ICMP has no NetworkPolicy
 * field; such rules are left out and named in `warnings`, never silently widened to `all`.
 */
export function egressRules(input: SecurityGroupRule[]): { egress: INetworkPolicyEgressRule[]; warnings: string[] } {
  // The store validated them when they were written; the file may have been edited since.
  const rules = parseRules(input);
  const egress: INetworkPolicyEgressRule[] = [];
  const warnings: string[] = [];
  rules.forEach((rule, index) => {
    if (rule.protocol === 'icmp') {
      warnings.push(`${describe(rule, index)}: NetworkPolicy cannot express ICMP; the rule is left out, so ICMP stays denied`);
      return;
    }
    const to: INetworkPolicyPeer[] = ipBlocks(rule).map((cidr) => ({ ipBlock: { cidr } }));
    const p = ports(rule);
    egress.push(p ? { to, ports: p } : { to });
  });
  if (rules.some(opensDns)) egress.push({ to: [CLUSTER_DNS_PEER], ports: DNS_PORTS });
  return { egress, warnings };
}
