import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { bundleDir, containersDir } from './bundle.js';
import { RuntimeContainer } from './container.js';
import { readExitFile } from './exit-file.js';
import { findConmon, identify } from './monitor.js';
import { readRecord } from './record.js';
import { runtimeList, runtimeState, type RuntimeState } from './runtime.js';
import type { ExitInfo, MonitoredContainer } from './types.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Rebuild the handle of a monitored container that an earlier process created (and may have
 * died since): its options from the bundle's record, conmon from its pid file, the init from
 * `runc state`. The handle does what a fresh one does: pid(), exec(), kill(), wait() (from the
 * exit file, at once if the container exited while nobody watched) and destroy().
 *
 * A container whose conmon died while the init still runs is adopted too: it keeps running
 * and can be exec'd, killed and destroyed, but its output has no reader any more (the next
 * write gets SIGPIPE) and its status will go to the host's init, so wait() resolves with
 * `statusError` once the init is gone. Callers should replace such an instance
 * (listMonitoredContainers() reports `monitorAlive: false`).
 *
 * Undefined when the id has no monitored bundle; an unreadable record is a DropshipError
 * naming the file.
 */
export async function adoptContainer(id: string): Promise<MonitoredContainer | undefined> {
  if (!ID.test(id)) {
    throw new DropshipError('INVALID_CONTAINER_OPTION', `container id ${JSON.stringify(id)} is not valid`, { hint: 'use the id listMonitoredContainers() reports' });
  }
  const bundle = bundleDir(id);
  const options = await readRecord(bundle, id);
  if (!options) return undefined;
  const [state, conmon] = await Promise.all([runtimeState('runc', id), findConmon(join(bundle, 'conmon.pid'), id)]);
  const container = new RuntimeContainer(options, { conmon, init: await initOf(state) });
  await container.resume();
  return container;
}

/** The init as runc knows it (runc checks the pid's start time itself); none once stopped. */
async function initOf(state: RuntimeState | undefined) {
  return state && state.status !== 'stopped' && state.pid > 0 ? identify(state.pid) : undefined;
}

export interface MonitoredSummary {
  id: string;
  bundle: string;
  labels: Record<string, string>;
  logPath?: string;
  exitFile?: string;
  /** runc's status (`created`, `running`, `paused`, `stopped`), or `gone` (no runtime state: a reboot). */
  runtimeStatus: string;
  /** conmon still runs for this container: its output is logged and its exit will be recorded. */
  monitorAlive: boolean;
  /** Set once conmon wrote the exit file (with `statusError` when the file is garbage). */
  exit?: ExitInfo;
  /** The bundle's record cannot be read: not adoptable; remove it with cleanupContainer(id). */
  error?: DropshipError;
}

/**
 * The monitored containers of this store, for a daemon's start-up scan: every bundle with a
 * record, with what runc, conmon and the exit file say. One bad bundle does not hide the rest.
 */
export async function listMonitoredContainers(): Promise<MonitoredSummary[]> {
  const ids = (await readdir(containersDir()).catch(() => [] as string[])).filter((id) => ID.test(id)).sort();
  const states = new Map((await runtimeList('runc')).map((s) => [s.id, s]));
  const summaries = await Promise.all(
    ids.map(async (id): Promise<MonitoredSummary | undefined> => {
      const bundle = bundleDir(id);
      const base = { id, bundle, runtimeStatus: states.get(id)?.status ?? 'gone' };
      let options;
      try {
        options = await readRecord(bundle, id);
      } catch (error) {
        return { ...base, labels: {}, monitorAlive: false, error: error as DropshipError };
      }
      if (!options?.monitor) return undefined;
      const exitFile = join(options.monitor.exitDir, id);
      const [conmon, exit] = await Promise.all([findConmon(join(bundle, 'conmon.pid'), id), readExitFile(exitFile)]);
      return { ...base, labels: options.labels, logPath: options.monitor.logPath, exitFile, monitorAlive: conmon !== undefined, ...(exit ? { exit } : {}) };
    }),
  );
  return summaries.filter((s): s is MonitoredSummary => s !== undefined);
}
