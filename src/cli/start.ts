import type { Command } from 'commander';
import { DropshipError } from '../errors.js';
import { printJson } from './output.js';
import { printApps } from './ps.js';

export function register(program: Command): void {
  program
    .command('start')
    .description('start a stopped app (after a dead supervisor, its leftover containers are removed first)')
    .argument('<app>', 'app name')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const app = await import('../app/index.js');
      const result = await app.startApp(name);
      if (options.json) printJson(result);
      else {
        if (result.alreadyRunning) process.stdout.write(`${name} is already started\n`);
        printApps(await app.listApps(name));
      }
      if (!result.running) {
        throw new DropshipError('START_FAILED', `not every instance of '${name}' became healthy`, { hint: `see \`dropship logs ${name} --recent\`` });
      }
    });
}
