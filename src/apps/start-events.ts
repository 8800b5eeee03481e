import { cancelledError } from './control.js';
import { askApp } from './daemon-client.js';
import { stopWaitMs } from './run-options.js';
import { recordEvent, type AppSpec } from './state.js';

/** The event of a start, before its first verdict: every start of an app (run, push, start) records it so. */
export function recordStart(spec: AppSpec): Promise<void> {
  return recordEvent(spec.name, { type: 'start', message: `started ${spec.processes.map((p) => `${p.type} ${p.instances}`).join(', ')} instance(s)` });
}

/** A start the user ended (Ctrl-C, `signal`) while it waited for the first verdict: the app is stopped again, on its release. */
export async function stopCancelledStart(spec: AppSpec, signal: AbortSignal | undefined): Promise<never> {
  await askApp(spec.name, { op: 'stop' }, stopWaitMs(spec));
  await recordEvent(spec.name, { type: 'stop', message: 'start cancelled (Ctrl-C): stopped' });
  throw cancelledError(`stopped waiting for '${spec.name}' to start (Ctrl-C): it is stopped, on release ${spec.release}`, `\`dropship start ${spec.name}\` starts it again`, signal);
}
