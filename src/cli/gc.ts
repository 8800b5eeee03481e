import type { Command } from 'commander';
import { printJson } from './output.js';

export function register(program: Command): void {
  program
    .command('gc')
    .description('remove blobs and unpacked layers that no image tag or current stack build references')
    .option('--dry-run', 'only print what would be removed')
    .option('--json', 'machine-readable output')
    .action(async (flags: { dryRun?: boolean; json?: boolean }) => {
      const { gc } = await import('../oci/index.js');
      const { listStacks } = await import('../stack/index.js');
      const { formatBytes } = await import('../util/units.js');
      const keep = (await listStacks()).map((s) => s.digest);
      const result = await gc({ dryRun: flags.dryRun, keep });
      if (flags.json) return printJson(result);
      const verb = result.dryRun ? 'would remove' : 'removed';
      for (const b of result.blobs) process.stdout.write(`${verb} blob ${b.digest} ${formatBytes(b.size)}\n`);
      for (const u of result.unpacked) process.stdout.write(`${verb} unpacked layer ${u.path} ${formatBytes(u.size)}\n`);
      for (const p of result.inUse) process.stdout.write(`kept unpacked layer ${p}: a mounted container uses it\n`);
      for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(`${result.dryRun ? 'Would free' : 'Freed'} ${formatBytes(result.bytes)} (${result.blobs.length} blobs, ${result.unpacked.length} unpacked layers)\n`);
    });
}
