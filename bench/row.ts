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

/** Run `fn` `runs` times (after `warmup` untimed runs) and return the median wall time in ms. */
export async function timeMedian(fn: () => Promise<unknown>, runs = 10, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}
