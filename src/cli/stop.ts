import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('stop')
    .description("stop an app's instances (SIGTERM, SIGKILL after the stop timeout); it stays stopped, also across daemon restarts")
    .argument('<app>', 'app name')
    .action(async (name: string) => {
      const { stopApp } = await import('../apps/index.js');
      await stopApp(name);
      process.stdout.write(`stopped ${name}\n`);
    });
}
