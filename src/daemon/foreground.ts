import { createApp, deleteApp, readInstanceStatus, recordEvent, startApp, stopApp, type RunOptions, type StartResult } from '../apps/index.js';
import type { LogEntry } from './log-line.js';
import { followAppLogs } from './logs.js';

/**
 * `dropship run` without -d: the daemon supervises the app as it would any other; this prints
 * its logs until `signal` aborts, then stops the app. An app that never got started (its host
 * port taken, say) is removed again, so the same `run` can simply be retried.
 */
export async function runAppInForeground(
  options: RunOptions,
  hooks: { signal?: AbortSignal; onLog?: (entry: LogEntry) => void } = {},
): Promise<StartResult> {
  const signal = hooks.signal ?? new AbortController().signal;
  const spec = await createApp(options);
  const following = new AbortController();
  // From the app's first line on: an instance logs its start before it is healthy.
  const follow = hooks.onLog ? followAppLogs(spec.name, hooks.onLog, following.signal, { fromStart: true }) : Promise.resolve();
  try {
    try {
      await startApp(spec.name);
    } catch (error) {
      if (!signal.aborted) await deleteApp(spec.name).catch(() => undefined);
      throw error;
    }
    await recordEvent(spec.name, { type: 'start', message: 'started in the foreground' });
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await stopApp(spec.name);
    await recordEvent(spec.name, { type: 'stop', message: 'stopped (foreground run ended)' });
  } finally {
    following.abort();
    // Its last read comes after the abort: the instances' exit lines are printed.
    await follow.catch(() => undefined);
  }
  return { app: spec.name, hostPort: spec.hostPort, running: false, instances: await readInstanceStatus(spec.name) };
}
