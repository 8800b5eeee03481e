import { createServer } from 'node:net';
import { DropshipError } from '../errors.js';
import { PORT_POOL_END, PORT_POOL_START } from '../network/ports.js';
import { listAppNames, readAppSpec } from './state.js';

export const HOST_PORT_POOL = { first: PORT_POOL_START, last: PORT_POOL_END };

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function portsOfOtherApps(name: string): Promise<Map<number, string>> {
  const used = new Map<number, string>();
  for (const other of await listAppNames()) {
    if (other === name) continue;
    const spec = await readAppSpec(other).catch(() => undefined);
    if (spec) used.set(spec.hostPort, other);
  }
  return used;
}

/**
 * The app's host port, kept for the app's life so its address never changes: the one asked
 * for, or the first free one of the pool that no other app holds (stopped apps keep theirs).
 */
export async function allocateHostPort(name: string, requested?: number): Promise<number> {
  const used = await portsOfOtherApps(name);
  if (requested) {
    const owner = used.get(requested);
    if (owner) {
      throw new DropshipError('PORT_IN_USE', `host port ${requested} belongs to app '${owner}'`, {
        hint: 'choose another port with -p, or leave -p out to get one from the pool',
      });
    }
    if (!(await canBind(requested))) {
      throw new DropshipError('PORT_IN_USE', `host port ${requested} is in use on this host`, {
        hint: 'choose another port with -p, or leave -p out to get one from the pool',
      });
    }
    return requested;
  }
  for (let port = HOST_PORT_POOL.first; port <= HOST_PORT_POOL.last; port++) {
    if (!used.has(port) && (await canBind(port))) return port;
  }
  throw new DropshipError('PORT_POOL_EXHAUSTED', `no free host port between ${HOST_PORT_POOL.first} and ${HOST_PORT_POOL.last}`, {
    hint: 'delete apps you no longer need, or give a port with -p',
  });
}
