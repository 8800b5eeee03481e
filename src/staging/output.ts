/** Lines longer than this are cut (the rest of the line is dropped, with a marker). */
export const MAX_LINE = 16 * 1024;

/**
 * Splits a byte stream into lines (a partial line waits for its newline), cuts very long lines,
 * counts bytes and keeps the last lines for error messages.
 */
export class LineBuffer {
  private pending = '';
  private cut = false;
  private readonly decoder = new TextDecoder();
  readonly tail: string[] = [];
  bytes = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly tailSize = 10,
  ) {}

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    const text = this.pending + this.decoder.decode(chunk, { stream: true });
    const parts = text.split('\n');
    this.pending = parts.pop()!;
    for (const part of parts) this.emit(part);
    if (this.pending.length > MAX_LINE) {
      if (!this.cut) this.emit(this.pending.slice(0, MAX_LINE) + ' [line cut]');
      this.cut = true;
      this.pending = '';
    }
  }

  end(): void {
    const rest = this.pending + this.decoder.decode();
    this.pending = '';
    if (rest) this.emit(rest);
  }

  private emit(raw: string): void {
    if (this.cut) {
      // The rest of a line already emitted in cut form.
      this.cut = false;
      return;
    }
    const line = (raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) + ' [line cut]' : raw).replace(/\r$/, '');
    this.tail.push(line);
    if (this.tail.length > this.tailSize) this.tail.shift();
    this.onLine(line);
  }
}
