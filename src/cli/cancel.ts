/**
 * Run `fn` with an AbortController that Ctrl-C and SIGTERM abort, the signal's name as the reason
 * (a cancelled staging exits 130 or 143 by it); its container and files go before the command ends.
 * `on`, not `once`: execa's signal-exit re-raises a signal that has no listener left.
 */
export async function cancellable<T>(fn: (controller: AbortController) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const cancel = (signal: NodeJS.Signals) => controller.abort(signal);
  process.on('SIGINT', cancel);
  process.on('SIGTERM', cancel);
  try {
    return await fn(controller);
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
  }
}
