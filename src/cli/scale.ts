import type { Command } from 'commander';
import { printJson } from './output.js';
import { printApps } from './ps.js';

export function register(program: Command): void {
  program
    .command('scale')
    .description('change the number of instances of a process type, or their memory or disk (replaced one at a time), while serving')
    .argument('<app>', 'app name')
    .option('--process <type>', 'process type to scale (default web)')
    .option('-i, --instances <n>', 'number of instances')
    .option('-m, --memory <size>', 'memory limit per instance')
    .option('-k, --disk <size>', 'disk quota per instance')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { process?: string; instances?: string; memory?: string; disk?: string; json?: boolean }) => {
      const app = await import('../apps/index.js');
      const summary = await app.scaleApp(name, options);
      if (options.json) printJson(summary);
      else printApps([summary]);
    });
}
