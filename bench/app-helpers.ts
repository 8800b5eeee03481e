import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { daemonPaths } from '../src/apps/index.js';
import { exec } from './exec.js';

/** The installed CLI: what `dropship` runs (package.json's bin). */
export const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
/** A dist/ built before the daemon existed runs a supervisor per app. */
export const BUILT = existsSync(fileURLToPath(new URL('../dist/daemon/daemon-main.js', import.meta.url)));

/** `dropship ARGS…` through dist/, as users run it. */
export function dropship(args: string[]): Promise<void> {
  return exec(process.execPath, [MAIN, ...args]);
}

/** One GET without keep-alive: the status code, or 0 when nothing answered. */
export function get(port: number, path = '/cgi-bin/index', timeoutMs = 1000): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Poll every 5 ms until a GET answers 200. */
export async function firstAnswer(port: number, limitMs = 60_000, path?: string): Promise<void> {
  const deadline = Date.now() + limitMs;
  while ((await get(port, path)) !== 200) {
    if (Date.now() > deadline) throw new Error(`nothing answered on port ${port} within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

export const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

export async function hostMemoryUsed(): Promise<number> {
  const info = await readFile('/proc/meminfo', 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(info)![1]) * 1024;
  return kb('MemTotal') - kb('MemAvailable');
}

export async function daemonPid(): Promise<number> {
  return Number.parseInt(await readFile(daemonPaths().pid, 'utf8'), 10);
}
