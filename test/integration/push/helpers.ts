import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { TEST_HOME } from '../../helpers/env.js';
import { imageTag } from '../../../src/push/index.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../../../fixtures/apps/', import.meta.url));

/** The real `dropship` command. A cold push downloads Node.js; the stack may be built first. */
export async function dropship(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await execa(process.execPath, ['--import', 'tsx', MAIN, ...args], { reject: false, env: process.env, timeout: 600_000 });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export interface PushJson {
  name: string;
  state: string;
  url?: string;
  buildpacks: string[];
  startCommand?: string;
  image: string;
  digest: string;
  imageReused: boolean;
  release?: number;
  processes: Array<{ type: string; state: string; healthy: number; requested: number; command?: string }>;
}

/** `dropship push … --json`, failing with the command's stderr when it does not exit 0. */
export async function pushJson(...args: string[]): Promise<PushJson | PushJson[]> {
  const result = await dropship('push', ...args, '--json');
  if (result.exitCode !== 0) throw new Error(`push ${args.join(' ')} exited ${result.exitCode}:\n${result.stderr.slice(-3000)}`);
  return JSON.parse(result.stdout) as PushJson | PushJson[];
}

export function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

/** Everything a push of NAME leaves: the app (every process type), its image tag, its staging cache. */
export async function removePushed(name: string): Promise<void> {
  await dropship('delete', name);
  await dropship('image', 'rm', imageTag(name));
  await rm(join(TEST_HOME, 'cache', name), { recursive: true, force: true });
}
