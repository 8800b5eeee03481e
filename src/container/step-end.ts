import { randomBytes } from 'node:crypto';

/**
 * How an exec'd step's end is told apart from the end of its output. A non-tty `runc exec`
 * copies the process's stdout and stderr through pipes of its own and exits only once every
 * writer has closed them, so a background child that keeps them open (a buildpack's `sleep &`,
 * a gradle daemon) would hold the step until its timeout. So the step runs under a one-line sh
 * wrapper that, once the process has exited, writes `NONCE STATUS` on stdout and on stderr:
 * behind everything the process wrote on each (a pipe keeps order), through the same copies.
 * The step ends when both lines arrive; what follows them (the background's later output) is
 * not the step's. runc's own exit still counts when the marks never come (the container was
 * killed, the wrapper could not run).
 *
 * Chosen over `runc exec --detach` (the status would go to whoever reaps the process, not to
 * us) and a status file (polling, and one more path in the container): the marks need nothing
 * but the /bin/sh every stack has. The nonce is random per step; a step that printed it would
 * only misreport its own status, which it sets anyway.
 */
const WRAPPER = '"$@"; s=$?; printf \'%s %s\\n\' "$0" "$s"; printf \'%s %s\\n\' "$0" "$s" >&2; exit "$s"';

export function stepNonce(): string {
  return `dropship-step-end-${randomBytes(16).toString('hex')}`;
}

/** `args` run under the wrapper; the nonce is its $0. */
export function wrapStep(args: string[], nonce: string): string[] {
  return ['/bin/sh', '-c', WRAPPER, nonce, ...args];
}

/**
 * One output stream of a wrapped step: passes on what comes before the mark, holds back bytes
 * that may be the start of one split across chunks, and reads the status after it.
 */
export class StepStream {
  private pending = Buffer.alloc(0);
  private afterMark?: Buffer;
  /** The status the mark carried, once its line is complete. */
  status?: number;

  private readonly mark: Buffer;

  constructor(
    nonce: string,
    private readonly forward: (chunk: Buffer) => void,
    private readonly onEnd: () => void,
  ) {
    this.mark = Buffer.from(`${nonce} `);
  }

  get ended(): boolean {
    return this.status !== undefined;
  }

  write(chunk: Buffer): void {
    if (this.ended) return;
    if (this.afterMark) return this.readStatus(Buffer.concat([this.afterMark, chunk]));
    const data = Buffer.concat([this.pending, chunk]);
    const at = data.indexOf(this.mark);
    if (at >= 0) {
      this.pending = Buffer.alloc(0);
      if (at > 0) this.forward(data.subarray(0, at));
      return this.readStatus(data.subarray(at + this.mark.length));
    }
    const held = this.heldBack(data);
    if (data.length > held) this.forward(data.subarray(0, data.length - held));
    this.pending = Buffer.from(data.subarray(data.length - held));
  }

  /** The stream ended without a mark: what was held back is output too. */
  flush(): void {
    if (this.pending.length && !this.afterMark) this.forward(this.pending);
    this.pending = Buffer.alloc(0);
  }

  private readStatus(data: Buffer): void {
    const end = data.indexOf(0x0a);
    if (end < 0) {
      this.afterMark = Buffer.from(data);
      return;
    }
    const status = Number.parseInt(data.subarray(0, end).toString('utf8'), 10);
    this.status = Number.isInteger(status) ? status : -1;
    this.onEnd();
  }

  /** How many trailing bytes of `data` could begin a mark. */
  private heldBack(data: Buffer): number {
    for (let k = Math.min(data.length, this.mark.length - 1); k > 0; k--) {
      if (data.subarray(data.length - k).equals(this.mark.subarray(0, k))) return k;
    }
    return 0;
  }
}
