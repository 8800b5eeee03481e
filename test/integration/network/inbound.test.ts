import { uniqueName } from '../../helpers/env.js';
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Container } from '../../../src/container/index.js';
import { attachNetwork, PORT_POOL_START, type NetworkAttachment } from '../../../src/network/index.js';
import { createWorld, startContainer, type World } from './world.js';

let world: World;
let container: Container;
let network: NetworkAttachment;

test.before(async () => {
  world = await createWorld();
  container = await startContainer(uniqueName('h5in'), { args: ['/bin/busybox', 'httpd', '-f', '-p', '8080', '-h', '/www'] });
  network = await attachNetwork({ containerId: container.id, pid: await container.pid(), kind: 'running', ports: [{}, { container: 8080 }] });
});

test.after(async () => {
  await network?.teardown().catch(() => undefined);
  await container?.destroy().catch(() => undefined);
  await world?.destroy();
});

test('host ports come from the pool, each mapped to container port 8080', () => {
  assert.is(network.hostPorts.length, 2);
  for (const port of network.hostPorts) {
    assert.ok(port.host >= PORT_POOL_START);
    assert.is(port.container, 8080);
  }
  assert.is.not(network.hostPorts[0]!.host, network.hostPorts[1]!.host);
});

test('a host port answers on 127.0.0.1', async () => {
  const response = await fetch(`http://127.0.0.1:${network.hostPorts[0]!.host}/index.html`);
  assert.is(response.status, 200);
  assert.is(await response.text(), 'hello from the container\n');
});

test('a host port answers from another network namespace', () => {
  const body = execFileSync('ip', ['netns', 'exec', world.ns, 'timeout', '10', '/bin/busybox', 'wget', '-qO-', `http://${world.hostIp}:${network.hostPorts[1]!.host}/index.html`], {
    encoding: 'utf8',
  });
  assert.is(body, 'hello from the container\n');
});

test('attaching again keeps the working network', async () => {
  const again = await attachNetwork({ containerId: container.id, pid: await container.pid(), kind: 'running' });
  assert.is(again.ip, network.ip);
  assert.equal(again.hostPorts, network.hostPorts);
  const response = await fetch(`http://127.0.0.1:${network.hostPorts[0]!.host}/index.html`);
  assert.is(response.status, 200);
});

test.run();
