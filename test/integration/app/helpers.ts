import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { deleteApp } from '../../../src/apps/api.js';
import { readAppSpec } from '../../../src/apps/state.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

/** The real `dropship` command, in a process of its own. */
export async function dropship(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await execa(process.execPath, ['--import', 'tsx', MAIN, ...args], { reject: false, env: process.env, timeout: 180_000 });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** One GET on a fresh connection (no keep-alive), so each request goes through the router anew. */
export function httpGet(port: number, path = '/cgi-bin/index', timeoutMs = 3000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Poll `fn` until it returns a truthy value; a bounded loop, not a timed assertion. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, what: string, tries = 100, pauseMs = 200): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  throw new Error(`gave up waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** Delete the app if it still exists: every test ends with this in a finally. */
export async function removeApp(name: string): Promise<void> {
  if (await readAppSpec(name).catch(() => undefined)) await deleteApp(name);
}

/** What an app left on the host: runtime containers, mounts, cgroups, leases, veths, its state dir. */
export async function leftovers(name: string, shorts: string[] = []): Promise<string[]> {
  const { readFile, readdir, access } = await import('node:fs/promises');
  const { homePaths } = await import('../../../src/home.js');
  const prefix = `dropship-${name}-`;
  const found: string[] = [];
  const runc = await execa('runc', ['list', '-q'], { reject: false });
  for (const id of String(runc.stdout).split('\n')) if (id.startsWith(prefix)) found.push(`runc ${id}`);
  for (const line of (await readFile('/proc/self/mounts', 'utf8')).split('\n')) if (line.includes(prefix)) found.push(`mount ${line.split(' ')[1]}`);
  for (const id of await readdir('/sys/fs/cgroup/memory/dropship').catch(() => [] as string[])) if (id.startsWith(prefix)) found.push(`cgroup ${id}`);
  for (const id of await readdir(homePaths().containers).catch(() => [] as string[])) if (id.startsWith(prefix)) found.push(`bundle ${id}`);
  const leases = await readFile(`${homePaths().network}/leases.json`, 'utf8').catch(() => '');
  if (leases.includes(prefix)) found.push('network lease');
  for (const short of shorts) if (await access(`/sys/class/net/ds-${short}`).then(() => true, () => false)) found.push(`veth ds-${short}`);
  const iptables = String((await execa('iptables-save', [], { reject: false })).stdout);
  for (const short of shorts) if (iptables.includes(short)) found.push(`iptables rules of ${short}`);
  if (await access(`${homePaths().apps}/${name}`).then(() => true, () => false)) found.push('app dir');
  return found;
}

/** The network shorts (veth/chain names) of the app's current leases, to check them after delete. */
export async function leaseShorts(name: string): Promise<string[]> {
  const { readFile } = await import('node:fs/promises');
  const { homePaths } = await import('../../../src/home.js');
  const text = await readFile(`${homePaths().network}/leases.json`, 'utf8').catch(() => '{"leases":{}}');
  const leases = (JSON.parse(text) as { leases: Record<string, { app?: string; short: string }> }).leases;
  return Object.values(leases).filter((l) => l.app === name).map((l) => l.short);
}
