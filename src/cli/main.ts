#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands.js';
import { reportError } from './output.js';

// The bin must start fast: command files import the library lazily, inside their actions.
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('dropship')
  .description('Stage source with buildpacks, package OCI images, run them in hardened runC containers')
  .version(pkg.version, '-V, --version')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

await registerCommands(program, process.argv.slice(2));
// Every command that touches the store first closes it to other local users (store-modes.ts).
program.hook('preAction', async (_program, action) => {
  if (action.name() === 'doctor') return;
  const { secureStore } = await import('../store-modes.js');
  await secureStore();
});

// `dropship image ls | head` closes our stdout early: that is the reader's choice, not an error.
// A command that must clean up first (stage: a running container) adds its own listener and handles it.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (process.stdout.listenerCount('error') > 1) return;
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else {
    process.exitCode = reportError(error);
  }
}
