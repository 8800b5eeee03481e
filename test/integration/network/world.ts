import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContainer, type Container } from '../../../src/container/index.js';
import { TEST_HOME } from '../../helpers/env.js';
import { busyboxRootfs } from './rootfs.js';
import { CLAIMS_DIR } from '../../../src/network/claims.js';
import { shortId } from '../../../src/network/names.js';

/**
 * The network tests' "outside world": a network namespace of their own, wired to the host by a
 * veth with addresses from a random /24 of 198.18.0.0/15 (the benchmarking range), with TCP and
 * UDP listeners. No packet leaves the machine.
 */
export interface World {
  ns: string;
  /** The host's address on the world's link. */
  hostIp: string;
  /** Addresses inside the world: .10, .11, .12 of the /24. */
  ips: string[];
  /** One more address inside the world, in a private range (192.168.0.0/16). */
  privateIp: string;
  tcpPorts: number[];
  udpPorts: number[];
  destroy(): Promise<void>;
}

const SERVER = `
const net = require('node:net'); const dgram = require('node:dgram');
const [tcp, udp, ips] = process.argv.slice(1).map((s) => s.split(','));
let pending = 0;
for (const ip of ips) {
  for (const p of tcp) { pending++; net.createServer((s) => s.end('hello ' + ip + ':' + p + '\\n')).listen(Number(p), ip, ready); }
  // A DNS server that knows no names: the query comes back as an NXDOMAIN answer.
  for (const p of udp) { pending++; const u = dgram.createSocket('udp4'); u.on('message', (m, r) => { m[2] |= 0x84; m[3] = 0x83; u.send(m, r.port, r.address); }); u.bind(Number(p), ip, ready); }
}
function ready() { if (--pending === 0) process.stdout.write('ready\\n'); }
`;

function sh(command: string): string {
  return execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
}

export async function createWorld(tcpPorts = [8001, 8002, 53], udpPorts = [53]): Promise<World> {
  const tag = randomBytes(3).toString('hex');
  const ns = `dsnet-${tag}`;
  const veth = `dsw-${tag}`;
  const routes = sh('ip -4 route');
  let octet = 0;
  do octet = 18 * 256 + randomBytes(2).readUInt16BE() % 512; while (routes.includes(`198.${octet >> 8}.${octet & 255}.`));
  const prefix = `198.${octet >> 8}.${octet & 255}`;
  const ips = [10, 11, 12].map((n) => `${prefix}.${n}`);
  let third = 0;
  do third = randomBytes(1)[0]!; while (routes.includes(`192.168.${third}.`));
  const privateIp = `192.168.${third}.10`;
  let server: ChildProcess | undefined;
  const destroy = async () => {
    server?.kill('SIGKILL');
    execFileSync('/bin/sh', ['-c', `ip link del ${veth} 2>/dev/null; ip netns del ${ns} 2>/dev/null; true`]);
  };
  try {
    sh(`ip netns add ${ns} && ip link add ${veth} type veth peer name eth0 netns ${ns} && ip addr add ${prefix}.1/24 dev ${veth} && ip link set ${veth} up`);
    sh(`ip -n ${ns} link set lo up && ip -n ${ns} link set eth0 up && ip -n ${ns} route add default via ${prefix}.1 2>/dev/null; true`);
    for (const ip of ips) sh(`ip -n ${ns} addr add ${ip}/24 dev eth0`);
    sh(`ip addr add 192.168.${third}.1/24 dev ${veth} && ip -n ${ns} addr add ${privateIp}/24 dev eth0`);
    server = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER, tcpPorts.join(','), udpPorts.join(','), [...ips, privateIp].join(',')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      server!.on('exit', (code) => reject(new Error(`world server exited with ${code}`)));
    });
    // Addresses need a moment for duplicate address detection only on IPv6; IPv4 is ready.
    return { ns, hostIp: `${prefix}.1`, ips, privateIp, tcpPorts, udpPorts, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}

export function testRootfs(): Promise<string> {
  return busyboxRootfs(join(TEST_HOME, 'network-test-rootfs'));
}

export interface Probe {
  exitCode: number;
  output: string;
}

export async function execIn(container: Container, args: string[]): Promise<Probe> {
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  const info = await container.exec(args, { user: 'root', onStdout: collect, onStderr: collect, timeoutMs: 20_000 });
  return { exitCode: info.exitCode, output };
}

export type Outcome = 'open' | 'refused' | string;

/** Connect over TCP from inside the container: 'open', 'refused' (fast), or what nc said. */
export async function tcpConnect(container: Container, ip: string, port: number): Promise<Outcome> {
  const probe = await execIn(container, ['/bin/busybox', 'nc', '-w', '5', ip, String(port)]);
  if (probe.exitCode === 0 && probe.output.includes(`hello ${ip}:${port}`)) return 'open';
  if (/refused/i.test(probe.output)) return 'refused';
  return `exit ${probe.exitCode}: ${probe.output.trim()}`;
}

/** A DNS query over UDP port 53 (busybox has no UDP client for other ports). */
export async function dnsQuery(container: Container, ip: string): Promise<Outcome> {
  const probe = await execIn(container, ['/bin/busybox', 'nslookup', 'probe.test', ip]);
  if (probe.output.includes('NXDOMAIN')) return 'open';
  if (/refused/i.test(probe.output)) return 'refused';
  return `exit ${probe.exitCode}: ${probe.output.trim()}`;
}

export async function ping(container: Container, ip: string): Promise<boolean> {
  const probe = await execIn(container, ['/bin/busybox', 'ping', '-c', '1', '-W', '2', ip]);
  return probe.output.includes('1 packets received');
}

export async function startContainer(id: string, options: { args?: string[]; mounts?: { source: string; destination: string; readonly?: boolean }[] } = {}): Promise<Container> {
  return createContainer({
    id,
    lowerDirs: [await testRootfs()],
    args: options.args ?? ['/bin/busybox', 'sleep', '3600'],
    user: 'root',
    network: 'none',
    mounts: options.mounts ?? [],
  });
}

/**
 * What the host has of these containers' network state: veths, iptables lines naming them, and
 * host-wide address and port claims. Other engineers' containers come and go on the same host,
 * so the state is filtered by id.
 */
export function hostNetworkState(containerIds: string[]): { links: string[]; routes: string[]; rules: string[]; claims: string[] } {
  const shorts = containerIds.map(shortId);
  const links = sh('ip -o link show').split('\n').map((line) => line.split(':')[1]?.trim().split('@')[0] ?? '').filter((name) => shorts.some((s) => name === `ds-${s}`));
  const routes = sh('ip -4 route show table all').split('\n').filter((line) => shorts.some((s) => line.includes(`ds-${s}`)));
  const rules = sh('iptables-save').split('\n').filter((line) => shorts.some((s) => line.includes(s)));
  const claims = existsSync(CLAIMS_DIR)
    ? readdirSync(CLAIMS_DIR).filter((name) => {
        const claim = JSON.parse(readFileSync(join(CLAIMS_DIR, name), 'utf8') || '{}') as { containerId?: string };
        return containerIds.includes(claim.containerId ?? '');
      })
    : [];
  return { links: links.sort(), routes: routes.sort(), rules: rules.sort(), claims: claims.sort() };
}
