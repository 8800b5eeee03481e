import type { Command } from 'commander';
import { printJson, printTable } from './output.js';

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

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
      let info: Awaited<ReturnType<typeof lib.buildStack>>;
      if (process.stderr.isTTY && !options.json) {
        const { Listr } = await import('listr2');
        let result: typeof info | undefined;
        await new Listr(
          [
            {
              title: `Building stack ${name}`,
              task: async (_ctx, task) => {
                result = await lib.buildStack(name, { force: options.force, onLog: (line) => (task.output = line) });
                task.title = `Stack ${name} ready`;
              },
              rendererOptions: { outputBar: 1 },
            },
          ],
          { rendererOptions: { collapseErrors: false } },
        ).run();
        info = result!;
      } else {
        info = await lib.buildStack(name, { force: options.force, onLog: (line) => process.stderr.write(`${line}\n`) });
      }
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
          return s ? [name, short(s.diffId), formatBytes(s.size), s.builtAt] : [name, '-', '-', 'not built (dropship stack build ' + name + ')'];
        }),
      );
    });
}
