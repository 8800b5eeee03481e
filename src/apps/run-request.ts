import type { AppSummary, StartResult, WaitOptions } from './api.js';
import { cancelledError, isCancelled } from './control.js';
import { callDaemon } from './daemon-client.js';
import { normalizeRunOptions, startWaitMs, type RunOptions } from './run-options.js';
import { stopCancelledStart } from './start-events.js';
import { readAppSpec } from './state.js';

/** `run -d`'s answer: the first verdict on every instance, and the app as `ps` then shows it. */
export interface RunResult extends StartResult {
  summary: AppSummary;
}

/**
 * `dropship run -d` (and the start of a pushed app): the options are checked here, where a bad
 * flag or `--services` file is the user's to fix, then the daemon makes the app, supervises it
 * and answers once every instance is healthy or has crashed, all in one request. So this module
 * loads no image, container or network code: the daemon has them loaded already. An app whose
 * supervisor never came up is removed again by the daemon, so the same `run` can be retried.
 * Ctrl-C (`signal`) stops the app, which stays on its first release.
 */
export async function runApp(options: RunOptions & { reason?: string }, wait: WaitOptions = {}): Promise<RunResult> {
  const normalized = await normalizeRunOptions(options);
  const name = normalized.name;
  try {
    return await callDaemon<RunResult>({ op: 'run', app: name, options: normalized, reason: options.reason ?? 'run' }, startWaitMs(normalized) + 60_000, wait.signal);
  } catch (error) {
    if (!isCancelled(error, wait.signal)) throw error;
    // The daemon sees the hang-up too and does not start an app it had not started yet; one it had
    // started is stopped here. Either way it is stopped, on release 1, or was never made.
    const spec = await readAppSpec(name).catch(() => undefined);
    if (!spec) throw cancelledError(`stopped '${name}' before it was made (Ctrl-C): nothing was released`, undefined, wait.signal);
    return stopCancelledStart(spec, wait.signal);
  }
}
