import type { DataPathChange } from '../network/index.js';

interface Pending {
  change: DataPathChange;
  waiters: Array<{ resolve: () => void; reject: (error: Error) => void }>;
}

/**
 * The daemon's one writer of every app's data path. A write starts at once when none is under
 * way; the writes that arrive meanwhile (other apps rolling at the same time, each waiting for the
 * network lock behind instance starts) go together in the next one: one lock hold, one read of the
 * rules and one iptables transaction for all of them, instead of one each. Per owner only the
 * latest set is written. A batch that fails is retried owner by owner, so each learns its own error.
 */
export class DataPathBatch {
  private readonly pending = new Map<string, Pending>();
  private running?: Promise<void>;

  constructor(private readonly write: (changes: DataPathChange[]) => Promise<void>) {}

  /** Resolves once a write that includes `change` (or a later set of the same owner) is done. */
  set(change: DataPathChange): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = this.pending.get(change.owner);
      if (entry) {
        entry.change = change;
        entry.waiters.push({ resolve, reject });
      } else this.pending.set(change.owner, { change, waiters: [{ resolve, reject }] });
      this.running ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.size) {
      const batch = [...this.pending.values()];
      this.pending.clear();
      try {
        await this.write(batch.map((entry) => entry.change));
        for (const entry of batch) for (const waiter of entry.waiters) waiter.resolve();
      } catch (error) {
        if (batch.length === 1) {
          for (const waiter of batch[0]!.waiters) waiter.reject(error as Error);
          continue;
        }
        for (const entry of batch) {
          await this.write([entry.change]).then(
            () => entry.waiters.forEach((waiter) => waiter.resolve()),
            (alone: Error) => entry.waiters.forEach((waiter) => waiter.reject(alone)),
          );
        }
      }
    }
    this.running = undefined;
  }
}
