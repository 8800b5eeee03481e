import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('delete')
    .description('stop an app and remove everything of it: containers, network, logs, state')
    .argument('<app>', 'app name')
    .action(async (name: string) => {
      const { deleteApp } = await import('../apps/index.js');
      await deleteApp(name);
      process.stdout.write(`deleted ${name}\n`);
    });
}
