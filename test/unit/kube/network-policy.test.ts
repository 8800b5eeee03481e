import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { egressRules } from '../../../src/kube/network-policy.js';
import type { SecurityGroupRule } from '../../../src/network/types.js';

const DNS = {
  to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
};

test('no groups: no egress at all (deny all)', () => {
  assert.equal(egressRules([]), { egress: [], warnings: [] });
});

test('one port, a port list and a port range: port, several ports, port + endPort', () => {
  const { egress } = egressRules([{ protocol: 'tcp', destination: '10.1.2.3', ports: '80,443,1000-2000' }]);
  assert.equal(egress, [{ to: [{ ipBlock: { cidr: '10.1.2.3/32' } }], ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 1000, endPort: 2000 }] }]);
});

test('udp without ports: every udp port (53 too, so DNS); all: no ports field at all', () => {
  const { egress } = egressRules([
    { protocol: 'udp', destination: '10.0.0.0/8' },
    { protocol: 'all', destination: '192.168.0.0/16' },
  ]);
  assert.equal(egress, [
    { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ protocol: 'UDP' }] },
    { to: [{ ipBlock: { cidr: '192.168.0.0/16' } }] },
    DNS,
  ]);
});

test('ranges split into CIDRs, destination lists and host bits normalised', () => {
  const { egress } = egressRules([{ protocol: 'all', destination: '10.0.0.1-10.0.0.3, 172.16.5.9/16' }]);
  assert.equal(egress[0]!.to, [{ ipBlock: { cidr: '10.0.0.1/32' } }, { ipBlock: { cidr: '10.0.0.2/31' } }, { ipBlock: { cidr: '172.16.0.0/16' } }]);
});

test('icmp is not expressible: left out (still denied) with a warning naming the rule', () => {
  const rules: SecurityGroupRule[] = [
    { protocol: 'icmp', destination: '0.0.0.0/0', type: 0, code: -1 },
    { protocol: 'tcp', destination: '10.0.0.1', ports: '443' },
  ];
  const { egress, warnings } = egressRules(rules);
  assert.is(egress.length, 1);
  assert.equal(egress[0]!.ports, [{ protocol: 'TCP', port: 443 }]);
  assert.equal(warnings, ['security group rule 1 (icmp to 0.0.0.0/0): NetworkPolicy cannot express ICMP; the rule is left out, so ICMP stays denied']);
});

test('DNS to the cluster resolver only when a tcp/udp rule opens port 53', () => {
  assert.equal(egressRules([{ protocol: 'udp', destination: '8.8.8.8', ports: '53' }]).egress.at(-1), DNS);
  assert.equal(egressRules([{ protocol: 'tcp', destination: '8.8.8.8', ports: '1-100' }]).egress.at(-1), DNS);
  assert.equal(egressRules([{ protocol: 'udp', destination: '8.8.8.8' }]).egress.at(-1), DNS);
  assert.is(egressRules([{ protocol: 'tcp', destination: '8.8.8.8', ports: '54-100,443' }]).egress.length, 1);
  assert.is(egressRules([{ protocol: 'all', destination: '0.0.0.0/0' }]).egress.length, 1, 'a network rule is not a DNS grant');
  assert.is(egressRules([{ protocol: 'udp', destination: '1.1.1.1', ports: '53' }, { protocol: 'tcp', destination: '1.1.1.1', ports: '53' }]).egress.length, 3, 'one DNS peer, not one per rule');
});

test('a hand-edited, invalid rule is refused with its number and field, not mapped', () => {
  const bad = [{ protocol: 'tcp', destination: '10.0.0.0/8', ports: '0-70000' }] as SecurityGroupRule[];
  assert.throws(() => egressRules(bad), /rule 1: ports: '0-70000' is not a port or range/);
  const range = [{ protocol: 'all', destination: '10.0.0.9-10.0.0.1' }] as SecurityGroupRule[];
  assert.throws(() => egressRules(range), /rule 1: destination/);
});

test.run();
