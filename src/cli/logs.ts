import type { Command } from 'commander';
import type { LogEntry } from '../daemon/index.js';
import { DropshipError } from '../errors.js';

export function register(program: Command): void {
  program
    .command('logs')
    .description("show an app's logs: timestamped, tagged [APP/PROC/WEB/0], [HEALTH/0], [CELL/0]")
    .argument('<app>', 'app name')
    .option('--recent', 'print the stored logs and exit (the default)')
    .option('-f, --follow', 'print the stored logs, then new lines as they come, until Ctrl-C')
    .option('-n, --lines <n>', 'only the last N stored lines')
    .option('--json', 'one JSON object per line')
    .action(async (name: string, options: { recent?: boolean; follow?: boolean; lines?: string; json?: boolean }) => {
      const daemon = await import('../daemon/index.js');
      const { formatLogEntry } = daemon;
      const print = (entry: LogEntry) => process.stdout.write((options.json ? JSON.stringify(entry) : formatLogEntry(entry)) + '\n');
      const limit = options.lines === undefined ? undefined : Number(options.lines);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
        throw new DropshipError('INVALID_OPTION', `--lines: '${options.lines}' is not a positive integer`, { hint: 'use e.g. --lines 100' });
      }
      for (const entry of await daemon.recentLogs(name, { limit })) print(entry);
      if (!options.follow) return;
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      await daemon.followAppLogs(name, print, controller.signal);
    });
}
