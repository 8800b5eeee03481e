import { open, readFile, rm, stat, type FileHandle } from 'node:fs/promises';
import { LogLineJoiner, parseLogRecord, type LogLine } from '../container/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { MAX_LINE_BYTES } from './log-line.js';

/** How often the tail looks for new records: conmon writes the file, nobody tells us when. */
const POLL_MS = 250;
/** The offset is saved at most this often (and when the tail stops), for the next daemon. */
const SAVE_EVERY_MS = 1000;

/**
 * Follows one container's conmon log (k8s-file) from a byte offset and hands on the app's
 * whole lines. The offset of the last whole record is kept in `<log>.offset`, so a daemon that
 * adopts the container after a kill -9 goes on where the dead one stopped: no line is lost,
 * and at most the lines of its last second are handed on twice. conmon starts the file afresh
 * when it reaches its size limit: a file shorter than the offset is read from its start.
 */
export class LogTail {
  private offset = 0;
  private savedOffset = 0;
  private savedAt = 0;
  /** Bytes after the last newline read: a record conmon is still writing. */
  private rest = Buffer.alloc(0);
  private readonly joiner = new LogLineJoiner(MAX_LINE_BYTES);
  private timer?: NodeJS.Timeout;
  private reading: Promise<void> = Promise.resolve();
  private fd?: FileHandle;
  private stopping?: Promise<void>;

  constructor(
    readonly path: string,
    private readonly onLine: (line: LogLine) => void,
    private readonly onError: (error: Error) => void,
  ) {}

  get offsetPath(): string {
    return `${this.path}.offset`;
  }

  /** Start from the saved offset (adoption) or from the start of the file (a new container). */
  async start(options: { resume: boolean; follow?: boolean }): Promise<void> {
    if (options.resume) {
      const saved = Number.parseInt(await readFile(this.offsetPath, 'utf8').catch(() => '0'), 10);
      this.offset = this.savedOffset = Number.isInteger(saved) && saved > 0 ? saved : 0;
    }
    if (options.follow !== false) this.timer = setInterval(() => void this.drain(), POLL_MS);
    await this.drain();
  }

  /** Read everything written so far; the last call (after the exit) also flushes a cut line. */
  drain(final = false): Promise<void> {
    if (this.stopping && !final) return this.reading;
    this.reading = this.reading.then(() => this.readNew(final)).catch((error: Error) => this.onError(error));
    return this.reading;
  }

  /**
   * Stop following; with `final`, read to the end first (the container has exited). The first
   * call decides: a daemon letting go of the instance and the instance's exit may both ask.
   */
  stop(final: boolean): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopping ??= (async () => {
      await this.drain(final);
      this.reading = this.reading.then(async () => {
        await this.saveOffset(true);
        await this.fd?.close().catch(() => undefined);
        this.fd = undefined;
      });
      await this.reading.catch((error: Error) => this.onError(error));
    })();
    return this.stopping;
  }

  /** The container is gone and its lines are stored: the log and the offset go too. */
  async remove(): Promise<void> {
    await Promise.all([rm(this.path, { force: true }), rm(this.offsetPath, { force: true })]);
  }

  private async readNew(final: boolean): Promise<void> {
    if (!this.fd) {
      try {
        this.fd = await open(this.path, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
    }
    const size = (await this.fd.stat()).size;
    if (size < this.offset) {
      this.offset = 0;
      this.rest = Buffer.alloc(0);
    }
    // A rotation renames nothing (conmon truncates in place), but a new file could replace it.
    const onDisk = await stat(this.path).catch(() => undefined);
    if (onDisk && onDisk.ino !== (await this.fd.stat()).ino) {
      await this.fd.close();
      this.fd = await open(this.path, 'r');
      this.offset = 0;
      this.rest = Buffer.alloc(0);
    }
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await this.fd.read(buffer, 0, buffer.length, this.offset + this.rest.length);
      if (bytesRead === 0) break;
      const bytes = Buffer.concat([this.rest, buffer.subarray(0, bytesRead)]);
      const lastNl = bytes.lastIndexOf(10);
      this.rest = Buffer.from(bytes.subarray(lastNl + 1));
      if (lastNl < 0) continue;
      this.offset += lastNl + 1;
      for (const record of bytes.subarray(0, lastNl).toString('utf8').split('\n')) {
        if (!record) continue;
        let line: LogLine | undefined;
        try {
          line = this.joiner.push(parseLogRecord(record, this.path));
        } catch (error) {
          this.onError(error as Error);
        }
        if (line) this.onLine(line);
      }
    }
    if (final) for (const line of this.joiner.flush()) this.onLine(line);
    await this.saveOffset(false);
  }

  private async saveOffset(now: boolean): Promise<void> {
    if (this.offset === this.savedOffset || (!now && Date.now() - this.savedAt < SAVE_EVERY_MS)) return;
    this.savedAt = Date.now();
    this.savedOffset = this.offset;
    await writeFileAtomic(this.offsetPath, String(this.offset), { mode: 0o600 });
  }
}
