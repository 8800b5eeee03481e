import { createReadStream } from 'node:fs';
import { LogLineJoiner, parseLogRecord, type LogLine } from './k8s-log.js';

/**
 * The app's lines from a monitored container's log file, streamed (never the whole file in
 * memory). Only newline-terminated records are read: a last record without its newline is
 * one conmon is still writing. A file that does not exist yet has no lines.
 */
export async function* readLog(path: string, maxLine?: number): AsyncGenerator<LogLine> {
  const joiner = new LogLineJoiner(maxLine);
  let rest = '';
  let lineNo = 0;
  const stream = createReadStream(path, { encoding: 'utf8' });
  try {
    for await (const chunk of stream) {
      const lines = (rest + (chunk as string)).split('\n');
      rest = lines.pop()!;
      for (const text of lines) {
        const line = joiner.push(parseLogRecord(text, `${path}:${++lineNo}`));
        if (line) yield line;
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  } finally {
    stream.destroy();
  }
  yield* joiner.flush();
}
