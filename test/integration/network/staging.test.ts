import { uniqueName } from '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Container } from '../../../src/container/index.js';
import { attachNetwork, listSecurityGroups, type NetworkAttachment } from '../../../src/network/index.js';
import { createWorld, dnsQuery, startContainer, tcpConnect, type World } from './world.js';

let world: World;
let container: Container;
let network: NetworkAttachment;

test.before(async () => {
  world = await createWorld();
  container = await startContainer(uniqueName('h5stg'));
  network = await attachNetwork({ containerId: container.id, pid: await container.pid(), kind: 'staging', app: uniqueName('h5app') });
});

test.after(async () => {
  await network?.teardown().catch(() => undefined);
  await container?.destroy().catch(() => undefined);
  await world?.destroy();
});

test('staging defaults: public addresses and DNS open, private ranges and the host closed', async () => {
  const bound = (await listSecurityGroups()).filter((g) => g.bindings.some((b) => b.kind === 'staging' && !b.app)).map((g) => g.name);
  if (!bound.includes('public_networks') || !bound.includes('dns')) {
    console.log(`skipped: the test store's staging defaults were changed (${bound.join(', ')})`);
    return;
  }
  // 198.18.0.0/15 is outside the private, loopback, link-local and CGNAT ranges: public.
  assert.is(await tcpConnect(container, world.ips[0]!, 8001), 'open');
  assert.is(await dnsQuery(container, world.ips[1]!), 'open');
  assert.is(await tcpConnect(container, world.privateIp, 8001), 'refused', 'private ranges stay closed');
  assert.is(await dnsQuery(container, world.privateIp), 'open', 'DNS is open to any address');
  assert.is(await tcpConnect(container, network.gateway, 22), 'refused');
  assert.is(await tcpConnect(container, world.hostIp, 8001), 'refused');
});

test.run();
