import { uniqueName } from '../helpers/env.js';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Container } from '../../src/container/index.js';
import { attachNetwork, createSecurityGroup, deleteSecurityGroup, prepareNetwork, type NetworkAttachment } from '../../src/network/index.js';
import { createWorld, execIn, startContainer, type World } from '../integration/network/world.js';
import { SPOOF_SOURCE } from './network-spoof-source.js';

/**
 * A root container has CAP_NET_RAW. With it, it must not be able to take over a neighbour's
 * address: not by ARP (the host's neighbour entry for the victim must keep the victim's MAC and
 * traffic must keep reaching the victim), and not by forging the source address of IP packets.
 * Everything is asserted from the host (ip neigh, ip route, a listener outside the containers).
 */

// Outside the store: the store's top level is private (0700 where container root need not pass),
// and the container's root must reach this bind mount.
const helperDir = join('/var/tmp', uniqueName('dropship-spoof'));
const helper = join(helperDir, 'network-spoof');
const UDP_PORT = 9999;

const hasGcc = spawnSync('gcc', ['--version']).status === 0;

let world: World;
let listener: ChildProcess | undefined;
let received = '';
const containers: Container[] = [];
const networks: NetworkAttachment[] = [];
const group = uniqueName('spoofsg');
let victim: NetworkAttachment;
let attacker: NetworkAttachment;
let attackerContainer: Container;
let victimContainer: Container;

function sh(command: string): string {
  return execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
}

/** Wait until the listener outside has printed `line`. */
function receivedLine(line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (received.split('\n').some((l) => l.endsWith(` ${line}`))) {
        listener!.stdout!.off('data', check);
        clearTimeout(guard);
        resolve();
      }
    };
    // Only a guard against a hang: the assertions never depend on how long anything took.
    const guard = setTimeout(() => reject(new Error(`listener never got '${line}'; it got:\n${received}`)), 20_000);
    listener!.stdout!.on('data', check);
    check();
  });
}

interface Neighbour {
  dst: string;
  dev: string;
  lladdr?: string;
  state?: string[];
}

function neighbours(ip: string): Neighbour[] {
  return JSON.parse(sh(`ip -j -4 neigh show to ${ip}`) || '[]') as Neighbour[];
}

function routeDev(ip: string): string {
  return (JSON.parse(sh(`ip -j route get ${ip}`)) as { dev: string }[])[0]!.dev;
}

async function start(name: string, args: string[]): Promise<{ container: Container; network: NetworkAttachment }> {
  const id = uniqueName(name);
  const prepared = await prepareNetwork({ containerId: id, kind: 'running', securityGroups: [group] });
  const container = await startContainer(id, { args, mounts: [...prepared.mounts, { source: helperDir, destination: '/spoof', readonly: true }] });
  containers.push(container);
  const network = await attachNetwork({ containerId: id, pid: await container.pid(), kind: 'running', securityGroups: [group] });
  networks.push(network);
  return { container, network };
}

test.before(async () => {
  if (!hasGcc) return;
  mkdirSync(helperDir, { mode: 0o755 });
  chmodSync(helperDir, 0o755);
  writeFileSync(`${helper}.c`, SPOOF_SOURCE);
  execFileSync('gcc', ['-static', '-Os', '-o', helper, `${helper}.c`]);
  chmodSync(helper, 0o755);
  world = await createWorld([8001], [53]);
  const script = `const u = require('node:dgram').createSocket('udp4');
u.on('message', (m, r) => process.stdout.write(r.address + ' ' + m + '\\n'));
u.bind(${UDP_PORT}, process.argv[1], () => process.stdout.write('ready\\n'));`;
  listener = spawn('ip', ['netns', 'exec', world.ns, process.execPath, '-e', script, world.ips[0]!], { stdio: ['ignore', 'pipe', 'inherit'] });
  listener.stdout!.on('data', (chunk: Buffer) => (received += chunk.toString()));
  await new Promise<void>((resolve) => listener!.stdout!.on('data', () => received.includes('ready') && resolve()));
  // Both containers may send UDP to the listener: only the source address decides.
  await createSecurityGroup(group, [{ protocol: 'udp', destination: world.ips[0]!, ports: String(UDP_PORT) }]);
  ({ container: victimContainer, network: victim } = await start('spvictim', [
    '/bin/sh',
    '-c',
    'mkdir -p /tmp/v && echo victim > /tmp/v/index.html && exec /bin/busybox httpd -f -p 8080 -h /tmp/v',
  ]));
  ({ container: attackerContainer, network: attacker } = await start('spattack', ['/bin/busybox', 'sleep', '3600']));
});

test.after(async () => {
  for (const network of networks) await network.teardown().catch(() => undefined);
  for (const container of containers) await container.destroy().catch(() => undefined);
  // The attack may have left the host a neighbour entry naming the attacker: remove what names the victim.
  if (victim && neighbours(victim.ip).length) sh(`ip neigh flush to ${victim.ip}`);
  listener?.kill('SIGKILL');
  await deleteSecurityGroup(group).catch(() => undefined);
  await world?.destroy();
  rmSync(helperDir, { recursive: true, force: true });
});

async function victimAnswers(): Promise<string> {
  try {
    const response = await fetch(`http://${victim.ip}:8080/index.html`, { signal: AbortSignal.timeout(5000) });
    return await response.text();
  } catch (error) {
    return `no answer: ${(error as Error).message}`;
  }
}

test('ARP claiming a neighbour container\'s address does not move the host\'s neighbour entry', async () => {
  if (!hasGcc) return console.log('skipped: gcc is needed to build the raw-packet helper');
  assert.is(await victimAnswers(), 'victim\n');
  const victimMac = (await execIn(victimContainer, ['/bin/busybox', 'cat', '/sys/class/net/eth0/address'])).output.trim();
  const attackerMac = (await execIn(attackerContainer, ['/bin/busybox', 'cat', '/sys/class/net/eth0/address'])).output.trim();
  assert.is.not(victimMac, attackerMac);
  const dev = routeDev(victim.ip);
  assert.is(neighbours(victim.ip).find((n) => n.dev === dev)?.lladdr, victimMac);

  const attack = await execIn(attackerContainer, ['/spoof/network-spoof', 'arp', 'eth0', victim.ip, victim.gateway]);
  assert.is(attack.exitCode, 0, attack.output);

  // The host sends the victim's traffic by its route and the neighbour entry on that device.
  assert.is(routeDev(victim.ip), dev);
  const entry = neighbours(victim.ip).find((n) => n.dev === dev);
  assert.ok(entry, `no neighbour entry for ${victim.ip} on ${dev}`);
  assert.is(entry!.lladdr, victimMac, `the host now sends ${victim.ip} to ${entry!.lladdr} (attacker ${attackerMac})`);
  assert.is(await victimAnswers(), 'victim\n');
});

test('packets with a forged source address are dropped where they enter the host', async () => {
  if (!hasGcc) return console.log('skipped: gcc is needed to build the raw-packet helper');
  const send = (src: string, text: string) => execIn(attackerContainer, ['/spoof/network-spoof', 'udp', src, world.ips[0]!, String(UDP_PORT), text]);
  // Forged first, genuine after: once the genuine one has arrived, the forged ones had their chance.
  for (const [src, text] of [
    [victim.ip, 'forged-neighbour'],
    [world.ips[1]!, 'forged-outside'],
    [victim.gateway, 'forged-gateway'],
  ] as const) {
    const sent = await send(src, text);
    assert.is(sent.exitCode, 0, sent.output);
  }
  const genuine = await send(attacker.ip, 'genuine');
  assert.is(genuine.exitCode, 0, genuine.output);
  await receivedLine('genuine');
  assert.not.match(received, /forged/, `forged packets reached the outside:\n${received}`);
});

test.run();
