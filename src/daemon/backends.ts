import type { Backend } from '../network/index.js';

/** The kernel data path of one app, as the daemon drives it (network's setBackends/removeDataPath). */
export interface DataPathWriter {
  set(backends: Backend[]): Promise<void>;
  remove(): Promise<void>;
}

/** The longest a drained instance keeps its open connections before it is told to stop (see awaitDrained). */
export const DRAIN_MS = 1000;

/**
 * The app's healthy instances, and the one writer of their kernel data path: the host port
 * forwards (DNAT) to exactly these. Writes are serialised and coalesced: whatever the set is when
 * a write starts is what the kernel gets, so a burst of changes is one iptables transaction and
 * the rules never go back to an older set. While held (a daemon adopting instances that still
 * serve through the rules a dead daemon wrote), nothing is written: an empty set written before
 * the first health check would refuse every connection.
 */
export class AppBackends {
  private readonly members = new Map<string, Backend>();
  private written: string | undefined;
  private writing: Promise<void> = Promise.resolve();
  private held = false;
  private removed = false;

  constructor(
    private readonly writer: DataPathWriter,
    private readonly onError: (error: Error) => void,
  ) {}

  hold(): void {
    this.held = true;
  }

  /** End a hold and write the set as it is now. */
  release(): Promise<void> {
    this.held = false;
    return this.sync();
  }

  add(guid: string, backend: Backend): Promise<void> {
    this.members.set(guid, backend);
    return this.sync();
  }

  /** Out of the data path, resolved once the rules say so; false when it was not in it. */
  async remove(guid: string): Promise<boolean> {
    if (!this.members.delete(guid)) return false;
    await this.sync();
    return true;
  }

  get size(): number {
    return this.members.size;
  }

  /** The app stopped: its rules go (the host port refuses: nothing listens on it). */
  async close(): Promise<void> {
    this.members.clear();
    this.removed = true;
    this.writing = this.writing.then(() => this.writer.remove()).catch((error: Error) => this.onError(error));
    await this.writing;
  }

  /** The daemon stops but the app does not: the rules stay as they are, serving. */
  detach(): Promise<void> {
    this.removed = true;
    return this.writing;
  }

  private sync(): Promise<void> {
    this.writing = this.writing
      .then(async () => {
        if (this.held || this.removed) return;
        const backends = [...this.members.values()];
        const key = JSON.stringify(backends.map((b) => `${b.ip}:${b.port}`).sort());
        if (key === this.written) return;
        await this.writer.set(backends);
        this.written = key;
      })
      .catch((error: Error) => this.onError(error));
    return this.writing;
  }
}
