import { readFile } from 'node:fs/promises';
import type { Clock } from './health.js';

/**
 * TCP states (the hex of /proc/net/tcp's `st` column) in which a connection may still carry a
 * request or its answer: SYN_RECV (accepted by the kernel, not yet by the app), ESTABLISHED,
 * FIN_WAIT1 (closed by the app, its last bytes not yet acknowledged), CLOSE_WAIT, LAST_ACK,
 * CLOSING. FIN_WAIT2 and TIME_WAIT are over as far as the client is concerned: everything the
 * instance sent has been acknowledged.
 */
const OPEN_STATES = new Set(['01', '03', '04', '08', '09', '0B']);

/** Connections to local port `port` still open in a /proc/net/tcp or tcp6 table. */
export function openConnections(table: string, port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let open = 0;
  for (const line of table.split('\n').slice(1)) {
    // "  sl  local_address rem_address   st …": local is ADDR:PORT in hex.
    const [, local, , state] = line.trim().split(/\s+/);
    if (local?.endsWith(`:${hexPort}`) && OPEN_STATES.has(state ?? '')) open++;
  }
  return open;
}

/**
 * Connections to `port` still open in the network namespace of host process `pid` (a container's
 * init): 0 once the process is gone (its connections went with it), undefined when they cannot
 * be counted (no pid known, tables unreadable).
 */
export async function connectionsTo(pid: number, port: number): Promise<number | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const [tcp, tcp6] = await Promise.all([readFile(`/proc/${pid}/net/tcp`, 'utf8'), readFile(`/proc/${pid}/net/tcp6`, 'utf8').catch(() => '')]);
    return openConnections(tcp, port) + openConnections(tcp6, port);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 0 : undefined;
  }
}

/**
 * After the rules changed, a packet the old rules sent this way may still be on its way into the
 * namespace (a SYN between the host's NAT and the instance's socket table): no verdict before this.
 */
export const DRAIN_SETTLE_MS = 100;
const DRAIN_POLL_MS = 25;

/**
 * Wait until an instance that left the data path has no open connection, at most `maxMs`. The
 * kernel keeps sending an established connection (its conntrack entry) to the old address, so
 * what must end is the connections themselves, not a fixed time: the usual request is over in
 * milliseconds. When they cannot be counted, the whole `maxMs` is waited, as before.
 */
export async function awaitDrained(count: () => Promise<number | undefined>, maxMs: number, clock: Clock): Promise<void> {
  const deadline = clock.now() + maxMs;
  await clock.sleep(Math.min(DRAIN_SETTLE_MS, maxMs));
  for (;;) {
    const left = deadline - clock.now();
    if (left <= 0) return;
    const open = await count();
    if (open === undefined) return clock.sleep(left);
    if (open === 0) return;
    await clock.sleep(Math.min(DRAIN_POLL_MS, left));
  }
}
