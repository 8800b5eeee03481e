import type { Command } from 'commander';
import { printJson, printTable } from './output.js';

type EnvRoom = typeof import('../apps/index.js');

function tip(name: string, change: Awaited<ReturnType<EnvRoom['setAppEnv']>>, what: string): void {
  if (!change.changed) return void console.log(`${what}: nothing changed (release ${change.release} stays current)`);
  console.log(`${what}: release ${change.release} of ${name}`);
  console.log(`TIP: use 'dropship restart ${name}' (or --rolling) so the running instances get the change`);
}

export function register(program: Command): void {
  program
    .command('env')
    .description("show the environment variables the user gave an app (push -e, manifest env, set-env)")
    .argument('<app>', 'app name')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const room = await import('../apps/index.js');
      const env = await room.appEnv(name);
      if (options.json) return printJson(env);
      console.log(`User-Provided:`);
      printTable(['NAME', 'VALUE'], Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
      console.log(`\nSystem-Provided (every instance): PORT, MEMORY_LIMIT, INSTANCE_INDEX, INSTANCE_GUID, CF_INSTANCE_*, VCAP_APPLICATION, VCAP_SERVICES`);
    });
  program
    .command('set-env')
    .description('set an environment variable of an app: a new release, applied on restart (as cf)')
    .argument('<app>', 'app name')
    .argument('<name>', 'variable name')
    .argument('<value>', 'value')
    .option('--json', 'print JSON')
    .action(async (app: string, key: string, value: string, options: { json?: boolean }) => {
      const room = await import('../apps/index.js');
      const change = await room.setAppEnv(app, key, value);
      if (options.json) return printJson(change);
      tip(app, change, `set ${key}`);
    });
  program
    .command('unset-env')
    .description('remove an environment variable of an app: a new release, applied on restart (as cf)')
    .argument('<app>', 'app name')
    .argument('<name>', 'variable name')
    .option('--json', 'print JSON')
    .action(async (app: string, key: string, options: { json?: boolean }) => {
      const room = await import('../apps/index.js');
      const change = await room.unsetAppEnv(app, key);
      if (options.json) return printJson(change);
      tip(app, change, `unset ${key}`);
    });
}
