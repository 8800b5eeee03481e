import type { Command } from 'commander';
import { printJson } from './output.js';
import { printApps } from './ps.js';
import { requireHealthy, withStartFeedback } from './start-feedback.js';

export function register(program: Command): void {
  program
    .command('start')
    .description("start a stopped app: the store's daemon supervises it again")
    .argument('<app>', 'app name')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const app = await import('../apps/index.js');
      const result = await withStartFeedback(name, (signal) => app.startApp(name, { signal }));
      if (options.json) printJson(result);
      else {
        if (result.alreadyRunning) process.stdout.write(`${name} is already started\n`);
        printApps(await app.listApps(name));
      }
      requireHealthy(name, result);
    });
}
