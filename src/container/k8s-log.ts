import { DropshipError } from '../errors.js';

/**
 * conmon's log file format (CRI "k8s-file"): one record per line,
 * `TIMESTAMP STREAM TAG CONTENT`, where TIMESTAMP is RFC 3339 with nanoseconds and an offset,
 * STREAM is `stdout` or `stderr`, and TAG is `F` (the line ended in a newline) or `P` (conmon
 * cut it: its read buffer ended mid-line). Only the first three fields are syntax: whatever the
 * app printed, including text that looks like another record, is content.
 */
export interface LogRecord {
  /** As conmon wrote it (nanoseconds kept; `Date` would drop them). */
  time: string;
  stream: 'stdout' | 'stderr';
  /** The content, without the newline conmon adds. */
  line: string;
  /** `P`: the app's line continues in the next record of the same stream. */
  partial: boolean;
}

const RECORD = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([FP]) ?/;

/** Parse one record (without its trailing newline); `where` names the file and line for the error. */
export function parseLogRecord(text: string, where = 'log record'): LogRecord {
  const match = RECORD.exec(text);
  if (!match) {
    throw new DropshipError('LOG_RECORD_INVALID', `${where}: ${JSON.stringify(text.slice(0, 80))} is not a k8s-file record (TIMESTAMP stdout|stderr F|P line)`, {
      hint: 'the log file is written by conmon; a record it did not write means the file was edited or truncated mid-write',
    });
  }
  return { time: match[1]!, stream: match[2] as LogRecord['stream'], line: text.slice(match[0].length), partial: match[3] === 'P' };
}

/** One line as the app printed it. */
export interface LogLine {
  time: string;
  stream: LogRecord['stream'];
  line: string;
  /** The line was longer than the joiner keeps and was cut. */
  cut: boolean;
}

/**
 * Joins `P` records into the app's whole lines, per stream (stdout and stderr interleave, each
 * stream's pieces stay in order). A joined line takes the time of its first piece. Lines longer
 * than `maxLine` characters are cut there (the rest is dropped, `cut` says so), so an app
 * printing one endless line cannot grow the reader's memory.
 */
export class LogLineJoiner {
  private readonly pending = new Map<LogRecord['stream'], { time: string; line: string; cut: boolean }>();

  constructor(private readonly maxLine = 64 * 1024) {}

  /** Feed one record; returns the whole line it completes, if any. */
  push(record: LogRecord): LogLine | undefined {
    const held = this.pending.get(record.stream) ?? { time: record.time, line: '', cut: false };
    const room = this.maxLine - held.line.length;
    if (record.line.length > room) held.cut = true;
    held.line += record.line.slice(0, Math.max(0, room));
    if (record.partial) {
      this.pending.set(record.stream, held);
      return undefined;
    }
    this.pending.delete(record.stream);
    return { time: held.time, stream: record.stream, line: held.line, cut: held.cut };
  }

  /** What is left when the log ends mid-line (the app died without a newline). */
  flush(): LogLine[] {
    const rest = [...this.pending.entries()].map(([stream, held]) => ({ time: held.time, stream, line: held.line, cut: held.cut }));
    this.pending.clear();
    return rest;
  }
}
