import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogEntry } from './log-line.js';

export interface LogRotation {
  /** Rotate when the current file would grow past this. */
  maxFileBytes: number;
  /** Rotated files kept besides the current one (`app.log.1` … `app.log.N`). */
  keepFiles: number;
}

export const DEFAULT_LOG_ROTATION: LogRotation = { maxFileBytes: 1024 * 1024, keepFiles: 3 };

const CURRENT = 'app.log';

/**
 * The one writer of an app's log files (the supervisor): JSON lines, appended synchronously so
 * readers in other processes see each line as soon as it is logged, rotated by size so that a
 * chatty app cannot fill the disk. Files are 0600: logs may hold secrets.
 */
export class LogWriter {
  private fd: number;
  private size: number;

  constructor(
    private readonly dir: string,
    private readonly rotation: LogRotation = DEFAULT_LOG_ROTATION,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.fd = openSync(join(dir, CURRENT), 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  append(entry: LogEntry): void {
    const line = Buffer.from(JSON.stringify(entry) + '\n');
    if (this.size > 0 && this.size + line.length > this.rotation.maxFileBytes) this.rotate();
    writeSync(this.fd, line);
    this.size += line.length;
  }

  close(): void {
    closeSync(this.fd);
  }

  private rotate(): void {
    closeSync(this.fd);
    const path = (n: number) => join(this.dir, n === 0 ? CURRENT : `${CURRENT}.${n}`);
    rmSync(path(this.rotation.keepFiles), { force: true });
    for (let n = this.rotation.keepFiles - 1; n >= 0; n--) {
      try {
        renameSync(path(n), path(n + 1));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    this.fd = openSync(path(0), 'a', 0o600);
    this.size = 0;
  }
}

function parseLines(text: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      entries.push(JSON.parse(line) as LogEntry);
    } catch {
      // A line being written right now is read half; the next read has it whole.
    }
  }
  return entries;
}

/** Everything still stored, oldest first; with `limit`, only the last `limit` lines. */
export async function readRecentLogs(dir: string, options: { limit?: number; keepFiles?: number } = {}): Promise<LogEntry[]> {
  const keep = options.keepFiles ?? DEFAULT_LOG_ROTATION.keepFiles;
  let entries: LogEntry[] = [];
  for (let n = keep; n >= 0; n--) {
    const file = join(dir, n === 0 ? CURRENT : `${CURRENT}.${n}`);
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    entries = entries.concat(parseLines(text));
  }
  return options.limit === undefined ? entries : entries.slice(-options.limit);
}

/**
 * Calls `onEntry` for each line logged from now on until `signal` aborts. Keeps the file open
 * across a rotation so that lines written just before it are not lost.
 */
export async function followLogs(
  dir: string,
  onEntry: (entry: LogEntry) => void,
  options: { signal: AbortSignal; pollMs?: number; fromStart?: boolean },
): Promise<void> {
  const file = join(dir, CURRENT);
  let fd: number | undefined;
  let ino = 0;
  let offset = 0;
  let partial = '';
  const buffer = Buffer.alloc(64 * 1024);
  const open = (fromStart: boolean) => {
    try {
      fd = openSync(file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const stat = fstatSync(fd);
    ino = stat.ino;
    offset = fromStart ? 0 : stat.size;
    partial = '';
  };
  const drain = () => {
    if (fd === undefined) return;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, offset);
      if (n === 0) break;
      offset += n;
      const text = partial + buffer.subarray(0, n).toString('utf8');
      const lastNl = text.lastIndexOf('\n');
      partial = text.slice(lastNl + 1);
      for (const entry of parseLines(text.slice(0, lastNl + 1))) onEntry(entry);
    }
  };
  open(options.fromStart ?? false);
  try {
    while (!options.signal.aborted) {
      drain();
      let currentIno = 0;
      try {
        currentIno = statSync(file).ino;
      } catch {
        currentIno = 0;
      }
      if (fd === undefined || (currentIno !== 0 && currentIno !== ino)) {
        if (fd !== undefined) {
          drain();
          closeSync(fd);
        }
        fd = undefined;
        open(true);
        // Not there yet (the daemon creates it when it starts supervising): wait, do not spin.
        if (fd !== undefined) continue;
      }
      await sleep(options.pollMs ?? 200, undefined, { signal: options.signal }).catch(() => undefined);
    }
    drain();
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
