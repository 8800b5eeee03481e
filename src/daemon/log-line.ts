/** One stored log line. Kept as JSON so that `--json` needs no parsing of the text form. */
export interface LogEntry {
  /** ISO-8601 UTC. */
  time: string;
  /** `APP/PROC/WEB`, `HEALTH`, `CELL`: the tag without the instance index. */
  source: string;
  instance: number;
  stream: 'out' | 'err';
  message: string;
  /** Set when the line was longer than the limit and cut. */
  truncated?: boolean;
}

/** Loggregator's envelope limit: longer lines are cut, not split, so one line stays one entry. */
export const MAX_LINE_BYTES = 60 * 1024;

export function appSource(processType: string): string {
  return `APP/PROC/${processType.toUpperCase()}`;
}

export function logTag(entry: Pick<LogEntry, 'source' | 'instance'>): string {
  return `[${entry.source}/${entry.instance}]`;
}

/** `2026-11-28T11:50:00.123Z [APP/PROC/WEB/0] OUT hello`, as `cf logs` prints them. */
export function formatLogEntry(entry: LogEntry): string {
  return `${entry.time} ${logTag(entry)} ${entry.stream === 'err' ? 'ERR' : 'OUT'} ${entry.message}${entry.truncated ? ' [line cut]' : ''}`;
}

/**
 * Turns a byte stream into lines: split at '\n', a trailing '\r' dropped, lines over `maxBytes`
 * cut (the rest up to the next newline is dropped). Call `flush` when the stream ends.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private cutting = false;

  constructor(
    private readonly onLine: (line: string, truncated: boolean) => void,
    private readonly maxBytes = MAX_LINE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      this.take(chunk.subarray(start, end));
      if (nl === -1) return;
      this.emit();
      start = nl + 1;
    }
  }

  flush(): void {
    if (this.pendingBytes > 0 || this.cutting) this.emit();
  }

  private take(part: Buffer): void {
    if (this.cutting || part.length === 0) return;
    const room = this.maxBytes - this.pendingBytes;
    if (part.length > room) {
      this.pending.push(part.subarray(0, room));
      this.pendingBytes += room;
      this.cutting = true;
      return;
    }
    this.pending.push(part);
    this.pendingBytes += part.length;
  }

  private emit(): void {
    let line = Buffer.concat(this.pending).toString('utf8');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const truncated = this.cutting;
    this.pending = [];
    this.pendingBytes = 0;
    this.cutting = false;
    this.onLine(line, truncated);
  }
}
