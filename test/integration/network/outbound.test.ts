import { uniqueName } from '../../helpers/env.js';
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Container } from '../../../src/container/index.js';
import {
  attachNetwork,
  bindSecurityGroup,
  createSecurityGroup,
  deleteSecurityGroup,
  prepareNetwork,
  unbindSecurityGroup,
  type NetworkAttachment,
} from '../../../src/network/index.js';
import { createWorld, dnsQuery, ping, startContainer, tcpConnect, type World } from './world.js';

let world: World;
let container: Container;
let network: NetworkAttachment;
const app = uniqueName('h5app');
const groups: string[] = [];

test.before(async () => {
  world = await createWorld();
  const id = uniqueName('h5out');
  const prepared = await prepareNetwork({ containerId: id, kind: 'running', app });
  container = await startContainer(id, { mounts: prepared.mounts });
  network = await attachNetwork({ containerId: id, pid: await container.pid(), kind: 'running', app });
});

test.after(async () => {
  await network?.teardown().catch(() => undefined);
  await container?.destroy().catch(() => undefined);
  for (const name of groups) await deleteSecurityGroup(name).catch(() => undefined);
  await world?.destroy();
});

function kernelLog(): string {
  return execFileSync('dmesg', { encoding: 'utf8' });
}

async function group(rules: unknown[]): Promise<string> {
  const name = uniqueName('h5sg');
  await createSecurityGroup(name, rules);
  groups.push(name);
  return name;
}

test('running containers get no default group: everything outbound is refused at once, the host too', async () => {
  assert.is(await tcpConnect(container, world.ips[0]!, 8001), 'refused');
  // UDP is refused by an ICMP error, which the kernel rate-limits: not reaching is what counts.
  assert.is.not(await dnsQuery(container, world.ips[0]!), 'open');
  assert.not.ok(await ping(container, world.ips[0]!));
  // The host: its bridge address, and its address on another link.
  assert.is(await tcpConnect(container, network.gateway, 22), 'refused');
  assert.is(await tcpConnect(container, world.hostIp, 8001), 'refused');
});

test('a group opens exactly its protocol, range and ports; a bound group applies without restart, unbind closes', async () => {
  const name = await group([
    { protocol: 'tcp', destination: `${world.ips[0]}-${world.ips[1]}`, ports: '8001', description: 'two addresses, one port' },
    { protocol: 'udp', destination: world.ips[0], ports: '53' },
    { protocol: 'icmp', destination: world.ips[2], type: 8, code: 0, log: true },
  ]);
  const report = await bindSecurityGroup(name, { kind: 'running', app });
  assert.equal(report.updated, [container.id]);
  assert.is(await tcpConnect(container, world.ips[0]!, 8001), 'open');
  assert.is(await tcpConnect(container, world.ips[1]!, 8001), 'open');
  assert.is(await tcpConnect(container, world.ips[2]!, 8001), 'refused', 'address next to the range');
  assert.is(await tcpConnect(container, world.ips[0]!, 8002), 'refused', 'port next to the opened one');
  assert.is(await tcpConnect(container, world.ips[0]!, 53), 'refused', 'tcp where only udp is open');
  assert.is(await dnsQuery(container, world.ips[0]!), 'open');
  assert.is.not(await dnsQuery(container, world.ips[1]!), 'open');
  assert.ok(await ping(container, world.ips[2]!), 'icmp echo opened');
  assert.ok(kernelLog().includes(`ds ${app}: `), 'the rule with log: true logged the ping, naming the app');
  assert.not.ok(await ping(container, world.ips[0]!), 'icmp to an address not in the rule');
  assert.is(await tcpConnect(container, network.gateway, 22), 'refused', 'the host stays closed');

  await unbindSecurityGroup(name, { kind: 'running', app });
  assert.is(await tcpConnect(container, world.ips[0]!, 8001), 'refused');
  assert.is.not(await dnsQuery(container, world.ips[0]!), 'open');
});

test('the container sees its own /etc/hosts and /etc/resolv.conf', async () => {
  let hosts = '';
  await container.exec(['/bin/busybox', 'cat', '/etc/hosts', '/etc/resolv.conf'], { user: 'root', onStdout: (c) => (hosts += c.toString()) });
  assert.ok(hosts.includes(`${network.ip}\t${container.id}`), hosts);
  assert.ok(/nameserver|# dropship:/.test(hosts), hosts);
});

test.run();
