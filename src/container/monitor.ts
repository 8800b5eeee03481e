import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { readExitFile, unknownExit } from './exit-file.js';
import type { ExitInfo } from './types.js';

/** A process as the kernel names it: pid plus start time, so a reused pid is not mistaken for it. */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

/** Start time (field 22 of /proc/PID/stat), or undefined when the process is gone or a zombie. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

export async function identify(pid: number): Promise<ProcessIdentity | undefined> {
  const startTime = Number.isInteger(pid) && pid > 0 ? await processStartTime(pid) : undefined;
  return startTime === undefined ? undefined : { pid, startTime };
}

export async function stillRunning(process: ProcessIdentity | undefined): Promise<boolean> {
  return process !== undefined && (await processStartTime(process.pid)) === process.startTime;
}

/**
 * How often a waiter checks that conmon is still alive. Only a dead monitor is found this way
 * (a kill -9 by hand, the OOM killer despite conmon's -1000 score): an exit is seen at once,
 * by inotify on the exit directory. A check is one read of /proc/PID/stat.
 */
const MONITOR_CHECK_MS = 1000;

export interface ExitWatch {
  id: string;
  exitDir: string;
  conmon?: ProcessIdentity;
  init?: ProcessIdentity;
}

/**
 * The container's exit, from conmon's exit file: resolves as soon as the file appears (fs.watch
 * on its directory, plus a re-read after the watch is set, so a file written in between is not
 * missed). When conmon is gone without writing one, the init's status went to whoever reaped
 * it (the host's init): the exit is then reported, with an unknown status, once the init is
 * gone too. Before that, while the init runs on unmonitored (its output has no reader, its exit
 * no recorder), `onMonitorLost` is called once, so the caller can replace the container.
 * `abort` ends the wait with what the exit file says by then.
 */
export function waitForExit(target: ExitWatch, abort: AbortSignal, onMonitorLost: () => void = () => undefined): Promise<ExitInfo> {
  const path = join(target.exitDir, target.id);
  return new Promise<ExitInfo>((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let lost = false;
    const watcher = watch(target.exitDir, (_event, name) => {
      if (name === target.id) void check();
    });
    watcher.on('error', () => undefined);
    const onAbort = () => {
      void check().then((found) => {
        if (!found) finish(unknownExit(new DropshipError('CONTAINER_DESTROYED', `container ${target.id} was destroyed before its exit status was known`, { hint: 'nothing to do' })));
      });
    };
    const finish = (info: ExitInfo) => {
      if (settled) return;
      settled = true;
      watcher.close();
      if (timer) clearInterval(timer);
      abort.removeEventListener('abort', onAbort);
      resolve(info);
    };
    async function check(): Promise<boolean> {
      const info = await readExitFile(path);
      if (info) finish(info);
      return info !== undefined;
    }
    async function checkMonitor(): Promise<void> {
      if (settled || (await stillRunning(target.conmon)) || (await check())) return;
      if (await stillRunning(target.init)) {
        if (!lost && !settled) {
          lost = true;
          onMonitorLost();
        }
        return;
      }
      finish(unknownExit(new DropshipError('MONITOR_LOST', `container ${target.id}: its monitor conmon${target.conmon ? ` (pid ${target.conmon.pid})` : ''} is gone and wrote no exit file ${path}; the exit status is lost`, {
        hint: 'conmon was killed from outside dropship; the container has exited or been removed: destroy() it',
      })));
    }
    if (abort.aborted) onAbort();
    else abort.addEventListener('abort', onAbort, { once: true });
    timer = setInterval(() => void checkMonitor(), MONITOR_CHECK_MS);
    void check().then((found) => (found ? undefined : checkMonitor()));
  });
}

/**
 * Wait until conmon has exited after writing the exit file (it only unlinks and returns then).
 * A bounded wait during teardown; a monitor that hangs on is killed.
 */
export async function monitorGone(conmon: ProcessIdentity | undefined): Promise<void> {
  for (let i = 0; i < 250 && (await stillRunning(conmon)); i++) await new Promise((r) => setTimeout(r, 20));
  if (!(await stillRunning(conmon))) return;
  try {
    process.kill(conmon!.pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && (await stillRunning(conmon)); i++) await new Promise((r) => setTimeout(r, 20));
}

/**
 * conmon's pid file read back, if that pid is still conmon for this container: after a reboot
 * or a long time the number may belong to anything.
 */
export async function findConmon(pidFile: string, id: string): Promise<ProcessIdentity | undefined> {
  const pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  const at = argv.indexOf('--cid');
  if (!argv[0]?.endsWith('conmon') || at < 0 || argv[at + 1] !== id) return undefined;
  return identify(pid);
}
