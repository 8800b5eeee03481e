import type { Command } from 'commander';
import { printJson } from './output.js';
import { printApps } from './ps.js';
import { requireHealthy, withStartFeedback } from './start-feedback.js';

export function register(program: Command): void {
  program
    .command('restart')
    .description('restart an app; --rolling replaces instances one at a time without downtime')
    .argument('<app>', 'app name')
    .option('--rolling', 'start each new instance and wait for it to be healthy before stopping the old one')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { rolling?: boolean; json?: boolean }) => {
      const app = await import('../apps/index.js');
      const result = await withStartFeedback(name, (signal) => app.restartApp(name, { rolling: options.rolling, signal }));
      if (options.json) printJson(result);
      else printApps(await app.listApps(name));
      requireHealthy(name, result);
    });
}
