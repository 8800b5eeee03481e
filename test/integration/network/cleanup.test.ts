import { uniqueName } from '../../helpers/env.js';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanupContainer } from '../../../src/container/index.js';
import { homePaths } from '../../../src/home.js';
import { attachNetwork, createSecurityGroup, deleteSecurityGroup, ensureNetwork, gcNetwork, prepareNetwork, teardownNetwork } from '../../../src/network/index.js';
import { rejects } from '../../helpers/assert.js';
import { hostNetworkState, startContainer, testRootfs } from './world.js';

async function leaseIds(): Promise<string[]> {
  const text = await readFile(join(homePaths().network, 'leases.json'), 'utf8').catch(() => '{"leases":{}}');
  return Object.keys((JSON.parse(text) as { leases: Record<string, unknown> }).leases).sort();
}

test.before(async () => {
  await ensureNetwork();
});

test('teardown leaves no veth, rule, chain or lease behind, and can run twice', async () => {
  const group = uniqueName('h5sg');
  await createSecurityGroup(group, [{ protocol: 'tcp', destination: '198.18.0.0/15', ports: '80,443', log: true }]);
  const container = await startContainer(uniqueName('h5clean'));
  try {
    const before = hostNetworkState([container.id]);
    assert.equal(before, { links: [], routes: [], rules: [], claims: [] });
    const network = await attachNetwork({ containerId: container.id, pid: await container.pid(), kind: 'running', ports: [{}], securityGroups: [group] });
    const during = hostNetworkState([container.id]);
    assert.is(during.links.length, 1, 'a veth was added');
    assert.ok(during.routes.some((route) => route.startsWith(`${network.ip} dev `)), 'and a /32 route to it');
    assert.is(during.claims.length, 2, 'its address and host port were claimed host-wide');
    assert.ok((await leaseIds()).includes(container.id), 'a lease was taken');
    assert.ok(during.rules.some((rule) => rule.includes('--dport') && rule.includes('DNAT')), 'a DNAT rule was added');
    assert.ok(during.rules.some((rule) => rule.includes('LOG')), 'a LOG rule was added');
    await network.teardown();
    await network.teardown();
    assert.equal(hostNetworkState([container.id]), before);
    assert.not.ok((await leaseIds()).includes(container.id), 'the lease was released');
  } finally {
    await container.destroy();
    await deleteSecurityGroup(group).catch(() => undefined);
  }
});

test('an attach whose veth fails while its rules are still being written leaves no rule behind', async () => {
  // A container that is gone by the time its veth is made (a task that exited at once): the veth
  // fails in milliseconds while iptables-restore of its rules is still running. The teardown on
  // that error must come after the rules, or they stay: a host port DNATed to an address nobody
  // has, which the next lease given that port then times out on.
  const group = uniqueName('h5sg');
  await createSecurityGroup(group, [{ protocol: 'tcp', destination: '198.18.0.0/15', ports: '80,443', log: true }]);
  const gone = spawn('true');
  await new Promise((resolve) => gone.once('exit', resolve));
  try {
    for (let i = 0; i < 5; i++) {
      const id = uniqueName('h5race');
      const before = hostNetworkState([id]);
      const failed = await attachNetwork({ containerId: id, pid: gone.pid!, kind: 'running', ports: [{}], securityGroups: [group] }).then(() => false, () => true);
      assert.ok(failed, 'attaching to a pid that has exited fails');
      assert.equal(hostNetworkState([id]), before, 'no veth, route, rule or claim of it is left');
      assert.not.ok((await leaseIds()).includes(id), 'and no lease');
    }
  } finally {
    await deleteSecurityGroup(group).catch(() => undefined);
  }
});

test('gc removes the rules of a container no store holds: no veth, no lease, no claim on its address', async () => {
  // What a store deleted while its containers were attached leaves: their rules, with nobody to
  // remove them. The DNAT kept catching its host port, and the next app given that port timed out.
  const { attachScript } = await import('../../../src/network/iptables-rules.js');
  const { restore } = await import('../../../src/network/host.js');
  const short = randomBytes(5).toString('hex');
  const script = attachScript({ short, ip: '10.254.3.250', hostPorts: [{ host: 64999, container: 8080 }], rules: [], label: 'orphan' });
  await restore(script, 'planting an orphan');
  const tagged = () => execFileSync('iptables-save', { encoding: 'utf8' }).split('\n').filter((line) => line.includes(short));
  try {
    assert.ok(tagged().some((line) => line.includes('DNAT')), 'the orphan DNAT is in place');
    const report = await gcNetwork([]);
    assert.equal(tagged(), [], 'no rule or chain of it is left');
    assert.ok(report.rulesRemoved >= 3);
  } finally {
    if (tagged().length) await restore(await leftover(short), 'removing the orphan').catch(() => undefined);
  }
});

async function leftover(short: string) {
  const { leftoverScript, parseSave } = await import('../../../src/network/iptables-rules.js');
  return leftoverScript(parseSave(execFileSync('iptables-save', { encoding: 'utf8' })), new Set([short]));
}

const CHILD = `
const { createContainer } = await import(${JSON.stringify(new URL('../../../src/container/index.ts', import.meta.url).pathname)});
const { attachNetwork } = await import(${JSON.stringify(new URL('../../../src/network/index.ts', import.meta.url).pathname)});
const [id, rootfs] = process.argv.slice(1);
const container = await createContainer({ id, lowerDirs: [rootfs], args: ['/bin/busybox', 'sleep', '3600'], user: 'root', network: 'none' });
await attachNetwork({ containerId: id, pid: await container.pid(), kind: 'running', ports: [{}] });
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`;

test('after kill -9 of dropship, gc removes the container network', async () => {
  const rootfs = await testRootfs();
  const id = uniqueName('h5killed');
  const before = hostNetworkState([id]);
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, id, rootfs], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited with ${code} before attaching`)));
    });
    child.kill('SIGKILL');
    const left = hostNetworkState([id]);
    assert.is(left.links.length, 1, 'the killed process left a veth');
    assert.ok(left.rules.some((rule) => rule.includes('DNAT')), 'and a DNAT rule');
    await cleanupContainer(id);
    // Everything else in the shared test store is alive as far as this test knows.
    const report = await gcNetwork((await leaseIds()).filter((other) => other !== id));
    assert.equal(report.leases, [id]);
    assert.is(report.releasedPorts.length, 1);
    assert.equal(hostNetworkState([id]), before);
    assert.not.ok((await leaseIds()).includes(id), 'the lease was released');
  } finally {
    child.kill('SIGKILL');
    await cleanupContainer(id).catch(() => undefined);
    await gcNetwork(await leaseIds().then((ids) => ids.filter((other) => other !== id))).catch(() => undefined);
  }
});

test('an attach whose container is gone (its init exited) leaves no veth, rule, claim or lease', async () => {
  const group = uniqueName('h5sg');
  await createSecurityGroup(group, [{ protocol: 'tcp', destination: '198.18.0.0/15', ports: '80,443', log: true }]);
  const id = uniqueName('h5gone');
  const before = hostNetworkState([id]);
  // A pid whose process has exited: the veth cannot go into its netns, while the rules already can.
  const exited = spawn('true');
  await new Promise((resolve) => exited.on('exit', resolve));
  try {
    for (let i = 0; i < 3; i++) {
      await rejects(() => attachNetwork({ containerId: id, pid: exited.pid!, kind: 'running', ports: [{}], securityGroups: [group] }), /creating veth|configuring eth0/);
      assert.equal(hostNetworkState([id]), before, 'nothing of the attach is left in the kernel');
      assert.not.ok((await leaseIds()).includes(id), 'the lease was released');
    }
  } finally {
    await gcNetwork((await leaseIds()).filter((other) => other !== id)).catch(() => undefined);
    await deleteSecurityGroup(group).catch(() => undefined);
  }
});

test('gc while a container is being made (leased, not yet in the runtime) keeps its lease and its /etc/hosts', async () => {
  const id = uniqueName('h5making');
  const prepared = await prepareNetwork({ containerId: id, kind: 'staging', ports: [] });
  try {
    const hosts = prepared.mounts.find((mount) => mount.destination === '/etc/hosts')!.source;
    // What `dropship gc` passes: the runtime's containers (this one is not there yet) and, here, every other lease.
    const report = await gcNetwork((await leaseIds()).filter((other) => other !== id));
    assert.equal(report.leases, [], 'no lease was released');
    assert.ok((await leaseIds()).includes(id), 'the lease of the container being made is kept');
    assert.ok(existsSync(hosts), 'and the /etc/hosts it bind-mounts');
  } finally {
    await teardownNetwork(id);
  }
  assert.not.ok((await leaseIds()).includes(id));
});

test.run();
