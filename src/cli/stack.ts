import type { Command } from 'commander';
import { printJson, printTable, shortDigest, withProgress } from './output.js';

export function register(program: Command): void {
  const stack = program.command('stack').description('build and list stacks: the base root filesystems apps run on');

  stack
    .command('build <name>')
    .description('build a stack from its recipe (rootfs/<name>/) into a reproducible base layer')
    .option('--force', 'build again even when a build of the current recipe exists')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, options: { force?: boolean; json?: boolean }) => {
      const lib = await import('../stack/index.js');
      const { formatBytes } = await import('../util/units.js');
      // The build log goes to stderr even with --json: a long debootstrap should not look hung.
      const info = await withProgress(`Building stack ${name}`, (onLog) => lib.buildStack(name, { force: options.force, onLog }), {
        lines: options.json ? 'plain' : 'auto',
        doneTitle: `Stack ${name} ready`,
      });
      if (options.json) {
        printJson(info);
      } else {
        process.stdout.write(`stack ${info.name}: diff_id ${info.diffId}, ${formatBytes(info.size)}, built ${info.builtAt}\n`);
      }
    });

  stack
    .command('ls')
    .description('list the stacks this installation knows and their current builds')
    .option('--json', 'print the list as JSON')
    .action(async (options: { json?: boolean }) => {
      const lib = await import('../stack/index.js');
      const { formatBytes } = await import('../util/units.js');
      const [known, built] = await Promise.all([lib.knownStacks(), lib.listStacks()]);
      const byName = new Map(built.map((s) => [s.name, s]));
      const names = [...new Set([...known, ...byName.keys()])].sort();
      if (options.json) {
        printJson(names.map((name) => ({ name, known: known.includes(name), built: byName.has(name), ...byName.get(name) })));
        return;
      }
      printTable(
        ['NAME', 'DIFF_ID', 'SIZE', 'BUILT'],
        names.map((name) => {
          const s = byName.get(name);
          return s ? [name, shortDigest(s.diffId), formatBytes(s.size), s.builtAt] : [name, '-', '-', 'not built (dropship stack build ' + name + ')'];
        }),
      );
    });
}
