import type { Command } from 'commander';
import { DropshipError } from '../errors.js';
import { printJson } from './output.js';
import { printApps } from './ps.js';
import { requireHealthy } from './start-feedback.js';

export function register(program: Command): void {
  program
    .command('rollback')
    .description('make a new release from an earlier one (default: the one before the current) and move the running instances onto it one at a time')
    .argument('<app>', 'app name')
    .argument('[release]', 'release number (`dropship releases APP` lists them)')
    .option('--json', 'print JSON')
    .action(async (name: string, release: string | undefined, options: { json?: boolean }) => {
      const version = release === undefined ? undefined : Number(release);
      if (version !== undefined && (!Number.isSafeInteger(version) || version < 1)) {
        throw new DropshipError('INVALID_OPTION', `rollback: release '${release}' is not a release number`, {
          hint: `give a number from \`dropship releases ${name}\`, or leave it out for the previous release`,
        });
      }
      const app = await import('../apps/index.js');
      const result = await app.rollbackApp(name, version);
      if (options.json) printJson(result);
      else {
        process.stdout.write(`rolled ${name} back to release ${result.to} as release ${result.release}\n`);
        printApps(await app.listApps(name));
      }
      // A stopped app only got the release; a running one must have converged healthy.
      if (result.instances.length > 0) requireHealthy(name, result);
    });
}
