import { isDropshipError } from '../errors.js';

/** Print an error the way every command does (`error:` / `hint:`) and return the exit code. */
export function reportError(error: unknown): number {
  if (isDropshipError(error)) {
    process.stderr.write(`error: ${error.message}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    if (process.env.DROPSHIP_DEBUG && error.cause) process.stderr.write(`cause: ${String((error.cause as Error).stack ?? error.cause)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
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

/** Collect a repeatable option (`-e K=V -e K2=V2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
