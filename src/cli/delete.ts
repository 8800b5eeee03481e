import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('delete')
    .description('stop an app and remove everything of it: containers, network, logs, state, its image tags and staging cache')
    .argument('<app>', 'app name')
    .action(async (name: string) => {
      const { deletePushedApp } = await import('../push/index.js');
      await deletePushedApp(name);
      process.stdout.write(`deleted ${name}\n`);
    });
}
