import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { createContainer, type Container } from '../src/container/index.js';
import { homePaths } from '../src/home.js';
import {
  applySecurityGroups,
  attachNetwork,
  bindSecurityGroup,
  createSecurityGroup,
  deleteSecurityGroup,
  ensureNetwork,
  prepareNetwork,
  releaseHostPort,
  removeDataPath,
  reserveHostPort,
  setBackends,
  teardownNetwork,
  updateSecurityGroup,
  type SecurityGroupRule,
} from '../src/network/index.js';
import { startBackend } from '../test/integration/network/backends.js';
import { busyboxRootfs } from '../test/integration/network/rootfs.js';
import { measure as measureRuns, median, ratio, type Row } from './row.js';

const RUNS = Number(process.env.DROPSHIP_BENCH_RUNS ?? 7);

const measure = async (fn: (i: number) => Promise<unknown>) => Math.round((await measureRuns(fn, { runs: RUNS, warmup: 1 })) * 10) / 10;

/** 100 distinct tcp rules; `variant` changes one port so that each update really rewrites. */
function hundredRules(variant: number): SecurityGroupRule[] {
  return Array.from({ length: 100 }, (_, i) => ({
    protocol: 'tcp' as const,
    destination: `198.18.${i}.0/24`,
    ports: i === 0 ? String(1000 + variant) : `${1000 + i},${2000 + i}`,
  }));
}

const WRK_SECONDS = Number(process.env.DROPSHIP_BENCH_WRK_SECONDS ?? 10);

interface WrkResult {
  requestsPerSecond: number;
  latencyMs: number;
}

async function wrk(url: string, seconds: number): Promise<WrkResult> {
  const { stdout } = await promisify(execFile)('wrk', ['-t2', '-c32', `-d${seconds}s`, url]);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const latency = /Latency\s+([\d.]+)(us|ms|s)/.exec(stdout);
  if (!rps || !latency) throw new Error(`wrk printed no figures:\n${stdout}`);
  const scale = { us: 0.001, ms: 1, s: 1000 }[latency[2] as 'us' | 'ms' | 's'];
  return { requestsPerSecond: Number(rps[1]), latencyMs: Math.round(Number(latency[1]) * scale * 100) / 100 };
}

/**
 * The kernel data path against no data path at all: wrk (2 threads, 32 connections) against an
 * HTTP server in a network namespace, once through the host port on 127.0.0.1 (DNAT, masquerade)
 * and once straight to the server's address. Each after a short untimed warm-up.
 */
export async function benchDataPath(): Promise<Row[]> {
  const owner = `bench-dp-${randomBytes(3).toString('hex')}`;
  const backend = await startBackend('bench');
  try {
    const hostPort = await reserveHostPort(owner);
    await setBackends(owner, hostPort, [{ ip: backend.ip, port: backend.port }]);
    const direct = `http://${backend.ip}:${backend.port}/`;
    const viaPort = `http://127.0.0.1:${hostPort}/`;
    await wrk(direct, 2);
    const straight = await wrk(direct, WRK_SECONDS);
    await wrk(viaPort, 2);
    const through = await wrk(viaPort, WRK_SECONDS);
    const second = { ip: backend.ip, port: backend.port + 1 };
    const update = await measure(async (i) => setBackends(owner, hostPort, i % 2 ? [{ ip: backend.ip, port: backend.port }] : [{ ip: backend.ip, port: backend.port }, second]));
    return [{
      name: `requests/s through the host port (kernel data path, 127.0.0.1) vs straight to the backend, wrk -t2 -c32 -d${WRK_SECONDS}s`,
      median_ms: through.latencyMs,
      peer: 'straight to the backend address',
      peer_median_ms: straight.latencyMs,
      ratio: Math.round((through.requestsPerSecond / straight.requestsPerSecond) * 100) / 100,
      note: `${Math.round(through.requestsPerSecond)} vs ${Math.round(straight.requestsPerSecond)} requests/s; ms are wrk's mean latency; ratio is requests/s through ÷ straight (aim ≥ 0.95)`,
    }, { name: 'data path update (setBackends, 1 ↔ 2 backends)', median_ms: update, note: 'iptables-save + one iptables-restore of the owner\'s chains' }];
  } finally {
    await removeDataPath(owner).catch(() => undefined);
    await releaseHostPort(owner).catch(() => undefined);
    await backend.destroy();
  }
}

/**
 * Network setup cost per container (start with network against the same start without), and
 * the time to apply a 100-rule security group to 10 running containers.
 */
export async function benchNetwork(): Promise<Row[]> {
  const tag = randomBytes(3).toString('hex');
  const rootfs = await busyboxRootfs(join(homePaths().root, 'bench', 'network-rootfs'));
  await ensureNetwork();
  const start = (id: string, mounts: { source: string; destination: string; readonly?: boolean }[] = []) =>
    createContainer({ id, lowerDirs: [rootfs], args: ['/bin/busybox', 'sleep', '3600'], user: 'root', network: 'none', mounts });
  const idOf = (i: number) => `bench-net-${tag}-${i + 1}`;
  let container: Container | undefined;
  const cleanup = async () => {
    if (!container) return;
    await teardownNetwork(container.id);
    await container.destroy();
    container = undefined;
  };

  // With and without alternate, so that the load of a busy host weighs on both alike.
  const without: number[] = [];
  const withNetwork: number[] = [];
  const attachOnly: number[] = [];
  for (let i = -1; i < RUNS; i++) {
    let start0 = process.hrtime.bigint();
    container = await start(idOf(i));
    const plain = Number(process.hrtime.bigint() - start0) / 1e6;
    await cleanup();
    const id = `${idOf(i)}-n`;
    start0 = process.hrtime.bigint();
    const prepared = await prepareNetwork({ containerId: id, kind: 'running', ports: [{}] });
    container = await start(id, prepared.mounts);
    const attachStart = process.hrtime.bigint();
    await attachNetwork({ containerId: id, pid: await container.pid(), kind: 'running', ports: [{}] });
    const end = process.hrtime.bigint();
    await cleanup();
    if (i < 0) continue;
    without.push(plain);
    withNetwork.push(Number(end - start0) / 1e6);
    attachOnly.push(Number(end - attachStart) / 1e6);
  }
  const round = (values: number[]) => Math.round(median(values) * 10) / 10;

  const app = `bench-${tag}`;
  const group = `bench-100-${tag}`;
  const single = `bench-1-${tag}`;
  const containers: Container[] = [];
  let groupUpdate = 0;
  let oneContainer = 0;
  try {
    for (let i = 0; i < 10; i++) {
      const c = await start(`bench-sg-${tag}-${i}`);
      containers.push(c);
      await attachNetwork({ containerId: c.id, pid: await c.pid(), kind: 'running', app });
    }
    await createSecurityGroup(group, hundredRules(0));
    await createSecurityGroup(single, [{ protocol: 'tcp', destination: '198.18.0.1', ports: '443' }]);
    await bindSecurityGroup(group, { kind: 'running', app });
    groupUpdate = await measure(async (i) => updateSecurityGroup(group, hundredRules(i + 2)));
    oneContainer = await measure(async (i) => applySecurityGroups(containers[0]!.id, i % 2 ? [] : [single]));
  } finally {
    for (const c of containers) {
      await teardownNetwork(c.id).catch(() => undefined);
      await c.destroy().catch(() => undefined);
    }
    await deleteSecurityGroup(group).catch(() => undefined);
    await deleteSecurityGroup(single).catch(() => undefined);
  }

  return [
    {
      name: 'container start with network (veth, address, 1 host port, rules)',
      median_ms: round(withNetwork),
      peer: 'same container start without network',
      peer_median_ms: round(without),
      ratio: ratio(median(withNetwork), median(without)),
      note: `network cost ${Math.round((median(withNetwork) - median(without)) * 10) / 10} ms per container (lease + files before, veth + rules after)`,
    },
    { name: 'network attach after start (veth, address, route, rules)', median_ms: round(attachOnly), note: 'aim: < 50 ms' },
    { name: 'update a 100-rule security group bound to 10 running containers', median_ms: groupUpdate, note: 'one iptables-restore rewriting 10 chains' },
    { name: 'change groups of 1 of those 10 containers', median_ms: oneContainer, note: 'only that container\'s chain is rewritten' },
    ...(await benchDataPath()),
  ];
}
