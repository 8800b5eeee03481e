import { createServer, connect, type Server, type Socket } from 'node:net';
import { DropshipError } from '../errors.js';

export interface Backend {
  host: string;
  port: number;
}

interface Entry {
  backend: Backend;
  active: Set<Socket>;
}

/**
 * The app's router: a TCP proxy on the app's host port that spreads connections round-robin
 * over the instances in rotation (only healthy ones are added). Taking an instance out waits
 * for its open connections to finish, so a stop never cuts a request in flight.
 */
export class Router {
  private readonly entries = new Map<string, Entry>();
  private readonly draining = new Map<string, Entry>();
  private next = 0;
  private server?: Server;

  constructor(
    readonly port: number,
    private readonly host = '0.0.0.0',
  ) {}

  async listen(): Promise<void> {
    const server = createServer({ pauseOnConnect: true }, (client) => this.route(client, new Set()));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          new DropshipError('PORT_IN_USE', `cannot listen on host port ${this.port}: ${error.code ?? error.message}`, {
            hint: 'choose another port with -p HOSTPORT, or stop what uses this one',
            cause: error,
          }),
        );
      });
      server.listen({ port: this.port, host: this.host }, () => resolve());
    });
    server.on('error', () => undefined);
    this.server = server;
  }

  add(key: string, backend: Backend): void {
    this.entries.set(key, { backend, active: new Set() });
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Out of rotation at once; resolves when its connections have ended or `drainMs` passed. */
  async remove(key: string, drainMs = 0): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    if (entry.active.size === 0 || drainMs <= 0) return;
    this.draining.set(key, entry);
    const deadline = Date.now() + drainMs;
    while (entry.active.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.draining.delete(key);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const entry of [...this.entries.values(), ...this.draining.values()]) for (const s of entry.active) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private pick(tried: Set<string>): [string, Entry] | undefined {
    const keys = [...this.entries.keys()].filter((k) => !tried.has(k));
    if (keys.length === 0) return undefined;
    const key = keys[this.next++ % keys.length]!;
    return [key, this.entries.get(key)!];
  }

  /** A backend that refuses the connection is skipped for the next one, so a dying instance costs no request. */
  private route(client: Socket, tried: Set<string>): void {
    const picked = this.pick(tried);
    if (!picked) {
      client.destroy();
      return;
    }
    const [key, entry] = picked;
    tried.add(key);
    const upstream = connect(entry.backend);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      entry.active.add(client);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      if (!connected) {
        upstream.destroy();
        if (!client.destroyed) this.route(client, tried);
        return;
      }
      client.destroy();
    });
    client.on('error', () => upstream.destroy());
    const finish = () => entry.active.delete(client);
    client.once('close', () => {
      finish();
      if (connected) upstream.destroy();
    });
    upstream.once('close', () => {
      if (connected) {
        finish();
        client.end();
      }
    });
  }
}
