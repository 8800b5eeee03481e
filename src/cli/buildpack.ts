import { type Command, InvalidArgumentError } from 'commander';
import { DropshipError } from '../errors.js';
import { printJson, printTable } from './output.js';

/** Checked here so the message quotes what was typed; the registry clamps it to the list's length. */
function position(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('give a whole number from 1 (first in the detect order)');
  return n;
}

export function register(program: Command): void {
  const buildpack = program.command('buildpack').description('register buildpacks and place them in the detect order');

  buildpack
    .command('create')
    .description('register a buildpack from a directory, .tgz/.zip or http(s) URL, or an order group of registered Cloud Native Buildpacks')
    .argument('<name>', 'name to register it under')
    .argument('[path-or-url]', 'directory with bin/, .tgz, .zip, or URL (optionally #sha256=<hex>)')
    .option('--group <ids>', 'an order group instead: ID[@VERSION],… of registered Cloud Native Buildpacks, tried as one group before single buildpacks')
    .option('--optional <ids>', 'with --group: members that may drop out (ID,…)')
    .option('--position <n>', 'place in the detect order (1 is first; default last)', position)
    .option('--json', 'print the new entry as JSON')
    .action(async (name: string, origin: string | undefined, flags: { group?: string; optional?: string; position?: number; json?: boolean }) => {
      if ((origin === undefined) === (flags.group === undefined)) {
        throw new DropshipError('INVALID_OPTION', origin === undefined ? `buildpack create ${name}: no path or URL given` : `buildpack create ${name}: both a path and --group given`, {
          hint: 'give a directory, archive or URL to register one buildpack, or --group ID,… for an order group',
        });
      }
      if (flags.optional !== undefined && flags.group === undefined) {
        throw new DropshipError('INVALID_OPTION', '--optional: only an order group has optional members', { hint: 'use it with --group' });
      }
      const { createBuildpack, createGroup } = await import('../buildpack/index.js');
      const entry = flags.group !== undefined
        ? await createGroup(name, flags.group, { optional: flags.optional?.split(',').map((s) => s.trim()).filter(Boolean), position: flags.position })
        : await createBuildpack(name, origin!, { position: flags.position });
      if (flags.json) printJson(entry);
      else if (entry.source === 'group') process.stdout.write(`created order group ${entry.name} (${entry.origin}) at position ${entry.position}\n`);
      else process.stdout.write(`created buildpack ${entry.name}${entry.version ? ` ${entry.version}` : ''} at position ${entry.position}\n`);
    });

  buildpack
    .command('update')
    .description("move a buildpack in the detect order, or replace a registered buildpack's files")
    .argument('<name>')
    .option('--position <n>', 'new place in the detect order (1 is first)', position)
    .option('--path <path-or-url>', 'new directory, .tgz/.zip or URL for a registered buildpack')
    .option('--json', 'print the entry as JSON')
    .action(async (name: string, flags: { position?: number; path?: string; json?: boolean }) => {
      const { updateBuildpack } = await import('../buildpack/index.js');
      const entry = await updateBuildpack(name, { position: flags.position, path: flags.path });
      if (flags.json) printJson(entry);
      else process.stdout.write(`updated buildpack ${entry.name}${entry.version ? ` ${entry.version}` : ''}: position ${entry.position}\n`);
    });

  buildpack
    .command('delete')
    .description('remove a registered buildpack')
    .argument('<name>')
    .action(async (name: string) => {
      const { deleteBuildpack } = await import('../buildpack/index.js');
      await deleteBuildpack(name);
      process.stdout.write(`deleted buildpack ${name}\n`);
    });

  program
    .command('buildpacks')
    .description('list the detect order: built-in and registered buildpacks')
    .option('--json', 'print as JSON')
    .action(async (flags: { json?: boolean }) => {
      const { listBuildpacks } = await import('../buildpack/index.js');
      const list = await listBuildpacks();
      if (flags.json) {
        printJson(list);
        return;
      }
      printTable(
        ['POSITION', 'NAME', 'VERSION', 'API', 'STACKS', 'SOURCE'],
        list.map((b) => [String(b.position), b.name, b.version || '-', b.api, b.stacks.join(',') || 'any', b.source === 'builtin' ? 'built-in' : b.source === 'group' ? `group: ${b.origin}` : b.origin]),
      );
    });
}
