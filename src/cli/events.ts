import type { Command } from 'commander';
import { printJson, printTable } from './output.js';

export function register(program: Command): void {
  program
    .command('events')
    .description("an app's history: created, each release (with its image digest), started, crashed, scaled (old → new), stopped")
    .argument('<app>', 'app name')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const { appEvents } = await import('../apps/index.js');
      const events = await appEvents(name);
      if (options.json) printJson(events);
      else printTable(['TIME', 'EVENT', '#', 'DESCRIPTION'], events.map((e) => [e.time, e.type, e.instance === undefined ? '' : String(e.instance), e.message]));
    });
}
