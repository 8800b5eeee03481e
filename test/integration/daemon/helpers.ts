import { readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { execa } from 'execa';
import { daemonPaths } from '../../../src/apps/index.js';
import { TEST_HOME } from '../../helpers/env.js';
import { dropship, eventually, httpGet, leaseShorts, leftovers, removeApp } from '../app/helpers.js';

export interface PsInstance {
  index: number;
  state: string;
  restarts: number;
  containerId?: string;
  pid?: number;
  lastExit?: string;
}

/** The pid in the store's pid file (undefined when there is none). */
export async function pidFile(): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(daemonPaths().pid, 'utf8').catch(() => ''), 10);
  return Number.isInteger(pid) ? pid : undefined;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process on the host that is a dropship daemon of the test store (from /proc, not from our files). */
export async function daemonsOfStore(): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (!/daemon-main\.[jt]s/.test(cmdline)) continue;
    const environ = (await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '')).split('\0');
    if (environ.includes(`DROPSHIP_HOME=${TEST_HOME}`)) found.push(Number(entry));
  }
  return found;
}

export async function killDaemon9(): Promise<number> {
  const pid = await pidFile();
  if (pid === undefined || !alive(pid)) throw new Error('no daemon runs');
  process.kill(pid, 'SIGKILL');
  await eventually(async () => !alive(pid), `daemon ${pid} to die`);
  return pid;
}

export async function stopDaemon(): Promise<void> {
  const result = await dropship('daemon', 'stop');
  if (result.exitCode !== 0) throw new Error(`daemon stop failed: ${result.stderr}`);
}

export async function instances(app: string): Promise<PsInstance[]> {
  const ps = await dropship('ps', app, '--json');
  if (ps.exitCode !== 0) throw new Error(`ps failed: ${ps.stderr}`);
  return (JSON.parse(ps.stdout)[0].instances as PsInstance[]).sort((a, b) => a.index - b.index);
}

export async function runtimeState(id: string): Promise<{ status: string; pid: number } | undefined> {
  const result = await execa('runc', ['state', id], { reject: false });
  return result.exitCode === 0 ? (JSON.parse(String(result.stdout)) as { status: string; pid: number }) : undefined;
}

/**
 * A client that asks the app's host port every few ms on a fresh connection until stopped, and
 * counts what failed (with why), so a test can say: not one request failed.
 */
export function pollingClient(port: number): { stop: () => Promise<{ ok: number; failed: string[] }> } {
  let running = true;
  const failed: string[] = [];
  let ok = 0;
  const loop = (async () => {
    while (running) {
      try {
        const answer = await httpGet(port, '/cgi-bin/index', 3000);
        if (answer.status === 200 && /^instance \d/.test(answer.body)) ok++;
        else failed.push(`status ${answer.status}: ${answer.body.slice(0, 80)}`);
      } catch (error) {
        failed.push((error as Error).message);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { ok, failed };
    },
  };
}

/** A port in 64000-64999 that nothing is bound to right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 64000 + Math.floor(Math.random() * 1000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/**
 * The end of a suite with a store of its own (one that kills daemons or conmons): `app` deleted,
 * that store's daemon stopped, the store removed and DROPSHIP_HOME put back to `shared`; then
 * what of the app is left on the host (containers, mounts, veths, rules of `shorts` and of its
 * last leases), which the suite asserts is nothing.
 */
export async function closePrivateStore(app: string, home: string, shorts: Set<string>, shared: string | undefined): Promise<string[]> {
  for (const short of await leaseShorts(app)) shorts.add(short);
  await removeApp(app).catch((error: Error) => console.error(`cleanup of ${app}: ${error.message}`));
  await dropship('daemon', 'stop');
  const left = await leftovers(app, [...shorts]);
  await rm(home, { recursive: true, force: true });
  process.env.DROPSHIP_HOME = shared;
  return left;
}
