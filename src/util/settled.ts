/**
 * Await every step, then throw the first failure. Unlike Promise.all, no step is still running
 * when the caller's cleanup starts on the error: an iptables-restore or a mount that finished
 * after the teardown had run would be left behind with nothing to remove it.
 */
export async function allSettled<T extends readonly unknown[]>(steps: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(steps);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
