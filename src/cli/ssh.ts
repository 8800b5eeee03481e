import type { Command } from 'commander';
import { isatty } from 'node:tty';
import { DropshipError } from '../errors.js';

export function register(program: Command): void {
  program
    .command('ssh')
    .description("a shell or a command inside a running instance, with its env and hardening (like cf ssh), on a terminal when stdin is one; exits with the command's code")
    .argument('<app>', 'app name')
    .option('--process <type>', 'process type (default web)')
    .option('-i, --index <n>', 'instance index', '0')
    .option('-c, --command <cmd>', 'run this command (sh -c) instead of an interactive shell')
    .option('-T, --disable-pseudo-tty', 'no terminal inside the instance even when stdin is one (pipes, as when stdin is not a terminal)')
    .action(async (name: string, options: { process?: string; index: string; command?: string; disablePseudoTty?: boolean }) => {
      if (!/^\d+$/.test(options.index)) {
        throw new DropshipError('INVALID_OPTION', `ssh -i: '${options.index}' is not an instance index`, { hint: `\`dropship ps ${name}\` lists the instances: -i 0, -i 1, …` });
      }
      const room = await import('../apps/index.js');
      // isatty, not process.stdin.isTTY: making the stdin stream would set the terminal non-blocking under runc.
      const tty = !options.disablePseudoTty && isatty(0);
      process.exitCode = await room.sshInstance(name, { process: options.process, index: Number(options.index), command: options.command, tty });
    });
}
