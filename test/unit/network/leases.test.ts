import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configFromSubnet, subnetClashes } from '../../../src/network/config.js';
import { hostsFileContent, resolvConfContent } from '../../../src/network/etc-files.js';
import { allocateIp } from '../../../src/network/leases.js';
import { parsePortMapping } from '../../../src/network/ports.js';
import type { Lease, LeaseFile } from '../../../src/network/types.js';

const config = configFromSubnet('10.254.0.0/29', 'test');

function lease(id: string, ip: string, hosts: number[] = []): Lease {
  return { containerId: id, short: id, ip, kind: 'running', hostname: id, securityGroups: [], hostPorts: hosts.map((host) => ({ host, container: 8080 })), createdAt: '' };
}

function file(...leases: Lease[]): LeaseFile {
  return { version: 1, subnet: config.subnet, leases: Object.fromEntries(leases.map((l) => [l.containerId, l])) };
}

test('subnet config: gateway first, usable range, validation', () => {
  assert.is(config.gateway, '10.254.0.1');
  assert.throws(() => configFromSubnet('10.254.0.1/22', 'DROPSHIP_SUBNET'), /DROPSHIP_SUBNET: '10.254.0.1\/22' is not a usable subnet/);
  assert.throws(() => configFromSubnet('10.0.0.0/31', 'x'), /not a usable subnet/);
});

test('clash check: routes and nameservers inside the subnet, not the default route, container routes or the old bridge', () => {
  const routes = [
    { dst: 'default', dev: 'eth0' },
    { dst: '10.254.0.0/22', dev: 'dropship0' },
    { dst: '10.254.0.2', dev: 'ds-0123456789' },
    { dst: '10.254.0.4/30', dev: 'wg0' },
    { dst: '192.0.2.0/24', dev: 'eth0' },
  ];
  assert.equal(subnetClashes(config, routes, ['10.254.0.5', '10.255.255.53']), ['route 10.254.0.4/30 dev wg0', 'nameserver 10.254.0.5']);
});

test('addresses: lowest free, until the subnet is full', () => {
  assert.is(allocateIp(file(), config), '10.254.0.2');
  assert.is(allocateIp(file(lease('a', '10.254.0.2'), lease('b', '10.254.0.4')), config), '10.254.0.3');
  const full = file(...['2', '3', '4', '5', '6'].map((n) => lease(n, `10.254.0.${n}`)));
  assert.throws(() => allocateIp(full, config), /no free address left in 10.254.0.0\/29/);
});

test('-p HOSTPORT[:CONTAINERPORT]', () => {
  assert.equal(parsePortMapping('9000'), { host: 9000, container: 8080 });
  assert.equal(parsePortMapping('9000:3000'), { host: 9000, container: 3000 });
  assert.equal(parsePortMapping(':3000'), { container: 3000 });
  assert.equal(parsePortMapping('0'), { container: 8080 });
  assert.throws(() => parsePortMapping('9000:x'), /-p 9000:x: 'x' is not a port/);
  assert.throws(() => parsePortMapping('1:2:3'), /is not a port/);
});

test('/etc/hosts and /etc/resolv.conf', () => {
  assert.ok(hostsFileContent('10.254.0.2', 'web-0').includes('10.254.0.2\tweb-0\n'));
  const kept = resolvConfContent('# comment\nnameserver 10.255.255.53\nnameserver 127.0.0.53\nsearch example.test\n');
  assert.is(kept.content, 'nameserver 10.255.255.53\nsearch example.test\n');
  assert.equal(kept.warnings, []);
  const loopback = resolvConfContent('nameserver 127.0.0.53\noptions edns0\n');
  assert.equal(loopback.warnings, [
    'no nameserver for the container: the host\'s nameservers (127.0.0.53) are loopback addresses a container cannot reach; names will not resolve inside it',
  ]);
  assert.ok(loopback.content.startsWith('# dropship:'));
});

test.run();
