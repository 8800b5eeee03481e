import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NON_PUBLIC_CIDRS, publicNetworkRanges } from '../../../src/network/defaults.js';
import { defaultStore, groupsFor, rulesFor } from '../../../src/network/groups.js';
import { cidrRange, parseCidr, parseIp, rangesOverlap } from '../../../src/network/ipv4.js';

test('public networks: everything outside the private, loopback, link-local, CGNAT and multicast ranges', () => {
  assert.equal(publicNetworkRanges(), [
    '1.0.0.0-9.255.255.255',
    '11.0.0.0-100.63.255.255',
    '100.128.0.0-126.255.255.255',
    '128.0.0.0-169.253.255.255',
    '169.255.0.0-172.15.255.255',
    '172.32.0.0-192.167.255.255',
    '192.169.0.0-223.255.255.255',
  ]);
  const holes = NON_PUBLIC_CIDRS.map((cidr) => cidrRange(parseCidr(cidr)!));
  for (const text of publicNetworkRanges()) {
    const [first, last] = text.split('-').map((ip) => parseIp(ip)!);
    assert.not.ok(holes.some((hole) => rangesOverlap(hole, { first: first!, last: last! })), text);
  }
});

test('default bindings: staging gets public_networks and dns, running gets nothing', () => {
  const store = defaultStore();
  assert.equal(groupsFor(store, { kind: 'staging', securityGroups: [] }), ['dns', 'public_networks']);
  assert.equal(groupsFor(store, { kind: 'running', securityGroups: [] }), []);
  assert.equal(rulesFor(store, { kind: 'running', securityGroups: [] }), []);
  assert.equal(groupsFor(store, { kind: 'running', securityGroups: ['dns', 'missing'] }), ['dns']);
});

test('per-app bindings apply to that app only', () => {
  const store = defaultStore();
  store.groups.web = { rules: [{ protocol: 'tcp', destination: '10.0.0.1', ports: '443' }], updatedAt: '' };
  store.bindings.push({ group: 'web', kind: 'running', app: 'shop' });
  assert.equal(groupsFor(store, { kind: 'running', app: 'shop', securityGroups: [] }), ['web']);
  assert.equal(groupsFor(store, { kind: 'running', app: 'blog', securityGroups: [] }), []);
  assert.equal(groupsFor(store, { kind: 'staging', app: 'shop', securityGroups: [] }), ['dns', 'public_networks']);
});

test.run();
