import { setTimeout as sleep } from 'node:timers/promises';
import { appPaths, instanceProcess, processView, readInstanceStatus, routedType, type AppSpec, type InstanceStatus, type ProcessView } from '../apps/index.js';
import { logTag, type LogEntry } from './log-line.js';
import { followLogs, readRecentLogs } from './log-store.js';

/** How often the instances' states are read while a start waits (status.json is the daemon's, written on each change). */
const STATE_POLL_MS = 200;
/** Lines of the app's log shown when a start fails. */
export const FAILURE_LINES = 10;

export interface StartWatch {
  /** Stop watching; every line logged until now has been passed on. */
  stop(): Promise<void>;
}

/** `[APP/PROC/WEB/0] OUT listening on 8080`: a log line as the start phase shows it (no time: it is now). */
export function feedbackLine(entry: LogEntry): string {
  return `${logTag(entry)} ${entry.stream === 'err' ? 'ERR' : 'OUT'} ${entry.message}${entry.truncated ? ' [line cut]' : ''}`;
}

function stateLine(instance: InstanceStatus): string {
  const release = instance.release === undefined ? '' : ` (release ${instance.release})`;
  const why = instance.state === 'crashed' && instance.lastExit ? `: ${instance.lastExit}` : '';
  return `instance ${instance.index}${release}: ${instance.state}${why}`;
}

/**
 * What `push`, `start` and `restart` show while they wait for health: each change of an
 * instance's state and every line the app (and its health checks, and the platform) logs from
 * now on. Read from the files the daemon writes, so waiting costs the daemon nothing; an app
 * that has no log yet (just created) is followed from its first line.
 */
export function watchStart(name: string, onLine: (line: string) => void): StartWatch {
  const controller = new AbortController();
  const paths = appPaths(name);
  const logs = followLogs(paths.logs, (entry) => onLine(feedbackLine(entry)), { signal: controller.signal, pollMs: STATE_POLL_MS }).catch(() => undefined);
  const states = (async () => {
    // By guid: during a roll an old instance and its replacement share an index.
    const seen = new Map<string, string>();
    // The instances as they are now are not news (an update: the old ones serving).
    for (const instance of await readInstanceStatus(name).catch(() => [])) seen.set(instance.guid, instance.state);
    while (!controller.signal.aborted) {
      for (const instance of await readInstanceStatus(name).catch(() => [])) {
        if (seen.get(instance.guid) === instance.state) continue;
        seen.set(instance.guid, instance.state);
        onLine(stateLine(instance));
      }
      await sleep(STATE_POLL_MS, undefined, { signal: controller.signal }).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      controller.abort();
      await Promise.all([logs, states]);
    },
  };
}

export interface StartFailure {
  /** One plain sentence: why the instances are not healthy. */
  reason: string;
  /** The last lines the app logged (and the platform about it), oldest first. */
  lines: string[];
}

/**
 * Why a start failed, in plain words, from the instances' last exits and the app's last lines.
 * A port check that never passed means nothing listened on $PORT: the commonest first-hour
 * mistake (a server on 3000 or on 127.0.0.1), said as such rather than as a timeout.
 */
export function startFailure(spec: Pick<ProcessView, 'healthCheck' | 'containerPort'>, instances: InstanceStatus[], recent: LogEntry[]): StartFailure {
  const failed = instances.filter((i) => i.state !== 'running');
  const exits = [...new Set(failed.map((i) => i.lastExit).filter((e): e is string => Boolean(e)))];
  const seconds = spec.healthCheck.startTimeoutMs / 1000;
  const neverPassed = exits.some((e) => e.includes('startup health check never passed'));
  let reason: string;
  if (neverPassed && spec.healthCheck.type === 'port') {
    reason = `nothing listened on $PORT (${spec.containerPort}) within ${seconds}s: the app must listen on the port in $PORT, on 0.0.0.0`;
  } else if (neverPassed && spec.healthCheck.type === 'http') {
    reason = `GET ${spec.healthCheck.endpoint} on $PORT (${spec.containerPort}) never answered 200 within ${seconds}s`;
  } else if (exits.length > 0) {
    reason = `the app exited before it became healthy (${exits.join('; ')})`;
  } else {
    reason = `${failed.length} instance(s) not healthy (${failed.map((i) => i.state).join(', ') || 'none started'})`;
  }
  const indexes = new Set(failed.map((i) => i.index));
  const lines = recent.filter((e) => indexes.size === 0 || indexes.has(e.instance)).slice(-FAILURE_LINES).map(feedbackLine);
  return { reason, lines };
}

/** startFailure with the app's stored log, per process type that has an unhealthy instance ("worker: …"). */
export async function explainStartFailure(spec: AppSpec, instances: InstanceStatus[], type?: string): Promise<StartFailure> {
  const recent = await readRecentLogs(appPaths(spec.name).logs, { limit: 200 }).catch(() => []);
  const failing = [...new Set(instances.filter((i) => i.state !== 'running').map((i) => instanceProcess(spec, i)))];
  const types = type ? [type] : failing.length ? failing : [routedType(spec) ?? spec.processes[0]!.type];
  const parts = types.map((type) => ({ type, failure: startFailure(processView(spec, type), instances.filter((i) => instanceProcess(spec, i) === type), recent) }));
  if (parts.length === 1) return parts[0]!.failure;
  return { reason: parts.map((p) => `${p.type}: ${p.failure.reason}`).join('; '), lines: parts.flatMap((p) => p.failure.lines).slice(-FAILURE_LINES) };
}
