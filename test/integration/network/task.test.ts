import { uniqueName } from '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTask } from '../../../src/app/task.js';
import { createSecurityGroup, deleteSecurityGroup, PORT_POOL_START } from '../../../src/network/index.js';
import { createWorld, hostNetworkState, type World } from './world.js';

let world: World;
const group = uniqueName('h5task');

test.before(async () => {
  world = await createWorld();
});

test.after(async () => {
  await deleteSecurityGroup(group).catch(() => undefined);
  await world?.destroy();
});

async function task(args: string[], options: { securityGroups?: string[]; ports?: { host?: number; container?: number }[] }) {
  let output = '';
  let hostPorts: { host: number; container: number }[] = [];
  const collect = (chunk: Buffer) => (output += chunk.toString());
  const result = await runTask({ stack: 'tiny', args, stdin: 'ignore', onStdout: collect, onStderr: collect, ...options, onNetwork: (n) => (hostPorts = n.hostPorts) });
  return { result, output, hostPorts };
}

test('run-task --security-group: the task reaches what the group opens, from its first instruction', async () => {
  await createSecurityGroup(group, [{ protocol: 'tcp', destination: world.ips[0], ports: '8001' }]);
  const open = await task(['busybox', 'nc', '-w', '5', world.ips[0]!, '8001'], { securityGroups: [group] });
  assert.is(open.result.exitCode, 0, open.output);
  assert.ok(open.output.includes(`hello ${world.ips[0]}:8001`), open.output);
  const closed = await task(['busybox', 'nc', '-w', '5', world.ips[0]!, '8002'], { securityGroups: [group] });
  assert.is.not(closed.result.exitCode, 0);
  assert.match(closed.output, /refused/i);
  assert.equal(hostNetworkState([open.result.containerId, closed.result.containerId]), { links: [], routes: [], rules: [], claims: [] }, 'torn down after the task');
});

test('run-task -p: the task gets a host port from the pool', async () => {
  const mapped = await task(['true'], { ports: [{ container: 8080 }] });
  assert.is(mapped.result.exitCode, 0, mapped.output);
  assert.is(mapped.hostPorts.length, 1);
  assert.ok(mapped.hostPorts[0]!.host >= PORT_POOL_START);
});

test.run();
