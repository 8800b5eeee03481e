/** One figure of `npm run bench`: our median, and where there is one, the peer tool's and the ratio. */
export interface Row {
  name: string;
  median_ms: number;
  peer?: string;
  peer_median_ms?: number;
  ratio?: number;
  note?: string;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface MeasureOptions {
  runs: number;
  /** Untimed runs first (indices -warmup … -1), so cold caches do not skew the median. */
  warmup?: number;
  /** Setup and cleanup around each run (fresh dirs, sync, a fresh registry), kept out of the timing. */
  before?: (i: number) => Promise<unknown>;
  after?: (i: number) => Promise<unknown>;
}

/** Median wall time in ms of `fn(i)` for i = 0 … runs-1. */
export async function measure(fn: (i: number) => Promise<unknown>, options: MeasureOptions): Promise<number> {
  const times: number[] = [];
  for (let i = -(options.warmup ?? 0); i < options.runs; i++) {
    await options.before?.(i);
    const start = process.hrtime.bigint();
    await fn(i);
    if (i >= 0) times.push(Number(process.hrtime.bigint() - start) / 1e6);
    await options.after?.(i);
  }
  return median(times);
}

/** Run `fn` `runs` times (after `warmup` untimed runs) and return the median wall time in ms. */
export function timeMedian(fn: () => Promise<unknown>, runs = 10, warmup = 1): Promise<number> {
  return measure(() => fn(), { runs, warmup });
}

/** Two decimals below 10 ms, where they still mean something; whole ms above. */
export function roundMs(ms: number): number {
  return ms < 10 ? Math.round(ms * 100) / 100 : Math.round(ms);
}

export function ratio(ours: number, peer: number): number {
  return Math.round((ours / peer) * 100) / 100;
}

/** A row of our runs beside a peer's runs of the same job: medians and their ratio. */
export function comparedRow(name: string, ours: number[], peer: string, peerRuns: number[], note: string): Row {
  return { name, median_ms: roundMs(median(ours)), peer, peer_median_ms: roundMs(median(peerRuns)), ratio: ratio(median(ours), median(peerRuns)), note };
}
