import { randomBytes } from 'node:crypto';
import { deleteApp, listApps } from '../src/apps/api.js';
import { runApp } from '../src/apps/run-request.js';
import { ensureDaemon } from '../src/apps/index.js';
import { execa } from 'execa';
import { daemonPid, get } from './app-helpers.js';
import type { Row } from './row.js';

const round = (n: number) => Math.round(n * 10) / 10;

async function wrk(url: string): Promise<number> {
  const { stdout } = await execa('wrk', ['-t2', '-c32', '-d5s', url]);
  const match = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  if (!match) throw new Error(`wrk printed no Requests/sec for ${url}: ${stdout.slice(0, 200)}`);
  return Number(match[1]);
}

/**
 * The kernel data path against going straight to the instance (wrk, 2 threads, 32 connections,
 * a static file), and a kill -9 of the daemon under a client polling the host port.
 */
export async function benchDaemon(image: string, port: number): Promise<Row[]> {
  const rows: Row[] = [];
  const name = `bench-dmn-${randomBytes(3).toString('hex')}`;
  try {
    await runApp({ image, name, port: String(port), instances: '2', stopTimeout: 1 });
    const [app] = await listApps(name);
    const ip = app!.instances[0]!.ip!;
    const one = await runApp({ image, name: `${name}-1`, port: String(port + 1), instances: '1', stopTimeout: 1 });
    const [single] = await listApps(one.app);
    const direct = await wrk(`http://${single!.instances[0]!.ip}:8080/index.html`);
    const through = await wrk(`http://127.0.0.1:${port + 1}/index.html`);
    rows.push({
      name: 'app: requests/s through the host port (kernel DNAT)',
      median_ms: round(1000 / through),
      peer: 'straight to the instance',
      peer_median_ms: round(1000 / direct),
      ratio: Math.round((through / direct) * 100) / 100,
      note: `ms per request as 1/(requests/s); wrk -t2 -c32 -d5s, 1 instance, static file: ${Math.round(through)} req/s via 127.0.0.1:${port + 1} vs ${Math.round(direct)} req/s direct; aim ≥ 0.95×; 2 instances (${ip} …) for the kill -9 row`,
    });
    await deleteApp(one.app);

    const restartsBefore = app!.instances.reduce((n, i) => n + i.restarts, 0);
    const containers = app!.instances.map((i) => `${i.containerId}:${i.pid}`).join(',');
    let polling = true;
    let ok = 0;
    let failed = 0;
    const poller = (async () => {
      while (polling) {
        if ((await get(port, '/cgi-bin/index', 3000)) === 200) ok++;
        else failed++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    const dead = await daemonPid();
    process.kill(dead, 'SIGKILL');
    const killedAt = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, 500));
    await ensureDaemon();
    const [after] = await listApps(name);
    const adoptedMs = Number(process.hrtime.bigint() - killedAt) / 1e6 - 500;
    await new Promise((r) => setTimeout(r, 500));
    polling = false;
    await poller;
    const restarts = after!.instances.reduce((n, i) => n + i.restarts, 0) - restartsBefore;
    const same = after!.instances.map((i) => `${i.containerId}:${i.pid}`).join(',') === containers;
    rows.push({
      name: 'daemon: kill -9 under a polling client, then start again',
      median_ms: round(adoptedMs),
      note: `${failed} failed of ${ok + failed} requests; ${restarts} instance restarts; ${same ? 'same containers and pids adopted' : 'containers CHANGED'}; ms = daemon start to adopted status, after 0.5 s dead`,
    });
  } finally {
    await deleteApp(`${name}-1`).catch(() => undefined);
    await deleteApp(name).catch(() => undefined);
  }
  return rows;
}
