import { isDropshipError } from '../errors.js';
import { plainText } from '../util/plain-text.js';

/**
 * Print an error the way every command does (`error:` / `hint:`) and return the exit code.
 * Messages may quote what a buildpack or a container printed: no escape of theirs reaches the terminal.
 */
export function reportError(error: unknown): number {
  if (isDropshipError(error)) {
    process.stderr.write(`error: ${plainText(error.message)}\n`);
    if (error.hint) process.stderr.write(`hint: ${plainText(error.hint)}\n`);
    if (process.env.DROPSHIP_DEBUG && error.cause) process.stderr.write(`cause: ${String((error.cause as Error).stack ?? error.cause)}\n`);
    return error.exitCode;
  }
  const message = plainText(error instanceof Error ? error.message : String(error));
  process.stderr.write(`error: ${message}\n`);
  process.stderr.write('hint: this is a bug in dropship; run again with DROPSHIP_DEBUG=1 and report the output\n');
  if (process.env.DROPSHIP_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return 1;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A plain text table: columns padded to the widest cell. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  process.stdout.write(line(header) + '\n');
  for (const row of rows) process.stdout.write(line(row) + '\n');
}

/** The first 12 hex digits, as docker shows image ids: enough to tell images apart in a table. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

export interface ProgressOptions {
  /**
   * `auto`: a listr2 task with the latest line on a terminal, plain lines on stderr otherwise;
   * `plain`: always plain lines on stderr; `none`: no lines (stdout stays machine-readable).
   */
  lines?: 'auto' | 'plain' | 'none';
  /** The task's title once the work succeeded (terminal only). */
  doneTitle?: string;
}

/** Long work (stack build, image build, push, pull) with its progress shown as `options.lines` says. */
export async function withProgress<T>(title: string, work: (onLine?: (line: string) => void) => Promise<T>, options: ProgressOptions = {}): Promise<T> {
  const lines = options.lines ?? 'auto';
  if (lines === 'none') return work(undefined);
  if (lines === 'plain' || !process.stderr.isTTY) return work((line) => process.stderr.write(`${line}\n`));
  const { Listr } = await import('listr2');
  let result: T | undefined;
  await new Listr(
    [
      {
        title,
        task: async (_ctx, task) => {
          result = await work((line) => (task.output = line));
          if (options.doneTitle) task.title = options.doneTitle;
        },
        rendererOptions: { outputBar: 1 },
      },
    ],
    { rendererOptions: { collapseErrors: false } },
  ).run();
  return result as T;
}

/** Collect a repeatable option (`-e K=V -e K2=V2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
