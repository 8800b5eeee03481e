// Review of the routed veths (issue 10 item 6): every rule dropship writes is iptables (IPv4);
// ip6tables has none. A container must therefore not reach the host over IPv6 at all: the host
// end of its veth has IPv6 disabled and no address. Asserted with a real probe from inside (an
// all-nodes ping, which every IPv6 node on the link answers), and the probe itself is proven able
// to see the host by a control round in which the test gives the host end IPv6 and an address
// for a moment (restored before the test ends).
import { uniqueName } from '../helpers/env.js';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Container } from '../../src/container/index.js';
import { attachNetwork, prepareNetwork, type NetworkAttachment } from '../../src/network/index.js';
import { execIn, startContainer } from '../integration/network/world.js';
import { skipUnlessRoot } from '../helpers/assert.js';

const CONTROL_ADDRESS = 'fe80::d5:1';

function sh(command: string): string {
  return execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
}

/** The addresses that answered an all-nodes ping sent out of the container's eth0. */
async function answering(container: Container): Promise<string[]> {
  const probe = await execIn(container, ['/bin/busybox', 'ping', '-6', '-c', '3', '-w', '4', '-I', 'eth0', 'ff02::1']);
  return [...new Set([...probe.output.matchAll(/bytes from ([0-9a-f:]+)/g)].map((m) => m[1]!.replace(/:$/, '')))];
}

test('a container gets no IPv6 answer from the host; a host end with IPv6 would answer', async () => {
  if (skipUnlessRoot('containers and veths need root')) return;
  const id = uniqueName('rv6');
  let container: Container | undefined;
  let network: NetworkAttachment | undefined;
  let veth = '';
  let controlled = false;
  try {
    const prepared = await prepareNetwork({ containerId: id, kind: 'running', securityGroups: [] });
    container = await startContainer(id, { mounts: prepared.mounts });
    network = await attachNetwork({ containerId: id, pid: await container.pid(), kind: 'running', securityGroups: [] });
    veth = (JSON.parse(sh(`ip -j route get ${network.ip}`)) as { dev: string }[])[0]!.dev;
    const sysctl = `/proc/sys/net/ipv6/conf/${veth}/disable_ipv6`;
    assert.is(readFileSync(sysctl, 'utf8').trim(), '1', `IPv6 is on at the host end ${veth}`);
    assert.is(sh(`ip -6 addr show dev ${veth}`).trim(), '', `the host end ${veth} has IPv6 addresses`);
    // The container's link-local address is usable (a source for the probe) once duplicate
    // address detection is over: without it the probe would send nothing and prove nothing.
    const pid = await container.pid();
    for (let i = 0; i < 100 && /tentative/.test(sh(`nsenter -t ${pid} -n ip -6 addr show dev eth0`)); i++) await sleep(100);
    const own = (sh(`nsenter -t ${pid} -n ip -6 -o addr show dev eth0`).match(/inet6 ([0-9a-f:]+)/g) ?? []).map((s) => s.slice(6));
    const strangers = (await answering(container)).filter((a) => !own.includes(a));
    assert.equal(strangers, [], `the host answered over IPv6 from ${strangers.join(', ')}`);

    // Control: the same probe sees the host once its end speaks IPv6.
    controlled = true;
    writeFileSync(sysctl, '0');
    sh(`ip -6 addr add ${CONTROL_ADDRESS}/64 dev ${veth} nodad`);
    assert.ok((await answering(container)).includes(CONTROL_ADDRESS), 'the probe cannot see an IPv6 host end: it proves nothing');
  } finally {
    if (controlled && veth) {
      sh(`ip -6 addr del ${CONTROL_ADDRESS}/64 dev ${veth} 2>/dev/null || true`);
      writeFileSync(`/proc/sys/net/ipv6/conf/${veth}/disable_ipv6`, '1');
    }
    await network?.teardown().catch(() => undefined);
    await container?.destroy().catch(() => undefined);
  }
});

test.run();
