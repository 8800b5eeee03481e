import { rm } from 'node:fs/promises';
import { appPaths, createApp, readInstanceStatus, recordEvent, type RunOptions, type StartResult } from '../apps/index.js';
import type { LogEntry } from './log-line.js';

/**
 * `dropship run` without -d: supervises here until `signal` aborts, then stops every instance.
 * An app whose supervisor never came up (its host port taken, say) is removed again, so the
 * same `run` can simply be retried.
 */
export async function runAppInForeground(
  options: RunOptions,
  hooks: { signal?: AbortSignal; onLog?: (entry: LogEntry) => void } = {},
): Promise<StartResult> {
  const spec = await createApp(options);
  let supervised = false;
  try {
    await recordEvent(spec.name, { type: 'start', message: `started ${spec.instances} instance(s) in the foreground` });
    // Containers and networks load only here: the rest of the face serves `logs` and `ps`.
    const { superviseApp } = await import('./supervise.js');
    await superviseApp(spec.name, {
      signal: hooks.signal ?? new AbortController().signal,
      onLog: hooks.onLog,
      onReady: () => (supervised = true),
    });
  } catch (error) {
    if (!supervised) await rm(appPaths(spec.name).dir, { recursive: true, force: true });
    throw error;
  }
  await recordEvent(spec.name, { type: 'stop', message: 'stopped (foreground run ended)' });
  return { app: spec.name, hostPort: spec.hostPort, running: false, instances: await readInstanceStatus(spec.name) };
}
