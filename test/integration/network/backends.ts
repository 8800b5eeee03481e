import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { attachNetwork, type NetworkAttachment } from '../../../src/network/index.js';

/**
 * A backend for data-path tests and benchmarks: an HTTP server on port 8080 in a network
 * namespace of its own, wired up by attachNetwork exactly as a container is (routed veth,
 * address, rules), answering with its name.
 */
export interface TestBackend {
  name: string;
  ip: string;
  port: number;
  destroy(): Promise<void>;
}

const SERVER = `
const name = process.argv[1];
require('node:http').createServer((req, res) => res.end(name)).listen(8080, '0.0.0.0', () => process.stdout.write('ready\\n'));
`;

export async function startBackend(name: string): Promise<TestBackend> {
  // Not uniqueName from helpers/env: that import would move a benchmark into the test store.
  const id = `dp-${name}-${randomBytes(3).toString('hex')}`;
  // unshare execs node: the child's pid is the server's, in its own network namespace.
  const server: ChildProcess = spawn('unshare', ['-n', process.execPath, '-e', SERVER, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  let network: NetworkAttachment | undefined;
  const destroy = async () => {
    await network?.teardown().catch(() => undefined);
    server.kill('SIGKILL');
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      server.on('exit', (code) => reject(new Error(`backend ${name} exited with ${code}`)));
    });
    network = await attachNetwork({ containerId: id, pid: server.pid!, kind: 'running' });
    return { name, ip: network.ip, port: 8080, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}

/** One GET on a fresh connection (no keep-alive: each request is a new connection, balanced anew). */
export function getOnce(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}
