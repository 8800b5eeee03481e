import { appPaths, requireAppSpec } from '../apps/index.js';
import type { LogEntry } from './log-line.js';
import { followLogs, readRecentLogs } from './log-store.js';

/** `dropship logs APP --recent`: read from the app's log files (the daemon writes them; no need to ask it). */
export async function recentLogs(name: string, options: { limit?: number } = {}): Promise<LogEntry[]> {
  await requireAppSpec(name);
  return readRecentLogs(appPaths(name).logs, options);
}

/** `dropship logs APP --follow`: until `signal` aborts; with `fromStart`, from the first stored line of the current file. */
export async function followAppLogs(name: string, onEntry: (entry: LogEntry) => void, signal: AbortSignal, options: { fromStart?: boolean } = {}): Promise<void> {
  await requireAppSpec(name);
  await followLogs(appPaths(name).logs, onEntry, { signal, fromStart: options.fromStart });
}
