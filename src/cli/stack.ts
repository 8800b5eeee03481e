import type { Command } from 'commander';
import { printJson, printTable, shortDigest, withProgress } from './output.js';

export function register(program: Command): void {
  const stack = program.command('stack').description('build, update, compare and list stacks: the base root filesystems apps run on');

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
        process.stdout.write(`stack ${info.name}: diff_id ${info.diffId}, ${formatBytes(info.size)}, ${info.sbom?.packages ?? '?'} packages, built ${info.builtAt}\n`);
      }
    });

  stack
    .command('update <name>')
    .description("build a stack again from the mirror's current packages: a new build when a package changed, the same one otherwise")
    .option('--json', 'print the result as JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const lib = await import('../stack/index.js');
      const update = await withProgress(`Updating stack ${name}`, (onLog) => lib.updateStack(name, { onLog }), {
        lines: options.json ? 'plain' : 'auto',
        doneTitle: `Stack ${name} up to date`,
      });
      if (options.json) {
        printJson({ name, changed: update.changed, current: update.info.diffId, previous: update.changed ? update.previous?.diffId : undefined, diff: update.diff, stack: update.info });
        return;
      }
      if (!update.changed) {
        process.stdout.write(`stack ${name}: no package changed; current build ${shortDigest(update.info.diffId)} (${update.info.sbom?.packages ?? '?'} packages)\n`);
        return;
      }
      const from = update.previous ? `${shortDigest(update.previous.diffId)} → ` : '';
      process.stdout.write(`stack ${name}: new build ${from}${shortDigest(update.info.diffId)}\n`);
      for (const line of update.diff ? lib.formatPackageDiff(update.diff) : []) process.stdout.write(`  ${line}\n`);
      process.stdout.write(`apps on the older build move to it with: dropship repave --stack ${name}\n`);
    });

  stack
    .command('diff <name> [old] [new]')
    .description('show the packages that changed between two builds (default: the previous and the current one); a build is current, previous, ~N or a diff_id prefix')
    .option('--json', 'print the changes as JSON')
    .action(async (name: string, from: string | undefined, to: string | undefined, options: { json?: boolean }) => {
      const lib = await import('../stack/index.js');
      const diff = await lib.diffStack(name, { from, to });
      if (options.json) {
        printJson(diff);
        return;
      }
      process.stdout.write(`stack ${name}: ${shortDigest(diff.from.diffId)} (${diff.from.builtAt}) → ${shortDigest(diff.to.diffId)} (${diff.to.builtAt})\n`);
      const lines = lib.formatPackageDiff(diff);
      if (lines.length === 0) process.stdout.write('  no package changed\n');
      for (const line of lines) process.stdout.write(`  ${line}\n`);
    });

  stack
    .command('history <name>')
    .description('list the recorded builds of a stack, newest first')
    .option('--json', 'print the builds as JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const lib = await import('../stack/index.js');
      const { formatBytes } = await import('../util/units.js');
      const info = await lib.getStack(name);
      const builds = info ? lib.stackBuilds(info) : [];
      if (options.json) {
        printJson(builds);
        return;
      }
      printTable(
        ['BUILD', 'DIFF_ID', 'PACKAGES', 'SIZE', 'BUILT'],
        builds.map((b, i) => [i === 0 ? 'current' : `~${i}`, shortDigest(b.diffId), String(b.sbom?.packages ?? '-'), formatBytes(b.size), b.builtAt]),
      );
    });

  stack
    .command('ls')
    .description('list the stacks this installation knows and their current builds')
    .option('--json', 'print the list as JSON')
    .action(async (options: { json?: boolean }) => {
      const lib = await import('../stack/index.js');
      const { formatBytes } = await import('../util/units.js');
      const { outdatedApps } = await import('../repave/index.js');
      const [known, built, outdated] = await Promise.all([lib.knownStacks(), lib.listStacks(), outdatedApps()]);
      const byName = new Map(built.map((s) => [s.name, s]));
      const names = [...new Set([...known, ...byName.keys()])].sort();
      if (options.json) {
        printJson(names.map((name) => ({ name, known: known.includes(name), built: byName.has(name), appsOnOlderBuilds: outdated.get(name) ?? 0, ...byName.get(name) })));
        return;
      }
      printTable(
        ['NAME', 'DIFF_ID', 'PACKAGES', 'SIZE', 'BUILDS', 'OUTDATED APPS', 'BUILT'],
        names.map((name) => {
          const s = byName.get(name);
          return s
            ? [name, shortDigest(s.diffId), String(s.sbom?.packages ?? '-'), formatBytes(s.size), String(1 + s.history.length), String(outdated.get(name) ?? 0), s.builtAt]
            : [name, '-', '-', '-', '-', '-', 'not built (dropship stack build ' + name + ')'];
        }),
      );
    });
}
