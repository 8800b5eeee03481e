import type { Command } from 'commander';
import { printJson } from './output.js';

export function register(program: Command): void {
  program
    .command('gc')
    .description('remove blobs and unpacked layers that no image tag, app release or current stack build references, containers and staging work dirs whose owner process is gone, and network leftovers of containers that no longer exist')
    .option('--dry-run', 'only print what would be removed')
    .option('--json', 'machine-readable output')
    .action(async (flags: { dryRun?: boolean; json?: boolean }) => {
      const { gc } = await import('../oci/index.js');
      const { listStacks } = await import('../stack/index.js');
      const { formatBytes } = await import('../util/units.js');
      const { listContainers } = await import('../container/index.js');
      const { gcNetwork } = await import('../network/index.js');
      const { referencedImageDigests } = await import('../apps/index.js');
      const { gcOrphans } = await import('../staging/index.js');
      // First what a killed staging left (container, lease, disk, work dir), so its layers and lease count as free below.
      const orphans = await gcOrphans({ dryRun: flags.dryRun });
      const keep = (await listStacks()).map((s) => s.digest);
      // Every release of an app keeps its image, so a rollback finds it after its tag moved on.
      const keepImages = (await referencedImageDigests()) as Array<`sha256:${string}`>;
      const result = await gc({ dryRun: flags.dryRun, keep, keepImages });
      // Containers the runtime still knows keep their network; leases of any other (a kill -9 of dropship) go.
      const live = (await listContainers()).filter((c) => c.status !== 'orphaned').map((c) => c.id);
      const network = await gcNetwork(live, { dryRun: flags.dryRun });
      if (flags.json) return printJson({ ...result, network, orphans });
      const verb = result.dryRun ? 'would remove' : 'removed';
      for (const id of orphans.containers) process.stdout.write(`${verb} container ${id} (its owner process is gone)\n`);
      for (const dir of orphans.workDirs) process.stdout.write(`${verb} staging work dir ${dir} (its owner process is gone)\n`);
      for (const name of orphans.caches) process.stdout.write(`${verb} staging cache of ${name} (no such app)\n`);
      for (const b of result.blobs) process.stdout.write(`${verb} blob ${b.digest} ${formatBytes(b.size)}\n`);
      for (const u of result.unpacked) process.stdout.write(`${verb} unpacked layer ${u.path} ${formatBytes(u.size)}\n`);
      for (const p of result.inUse) process.stdout.write(`kept unpacked layer ${p}: a mounted container uses it\n`);
      for (const id of network.leases) process.stdout.write(`${verb} network lease of container ${id}\n`);
      for (const veth of network.veths) process.stdout.write(`${verb} veth ${veth}\n`);
      for (const chain of network.dataPaths) process.stdout.write(`${verb} data path ${chain} (its owner holds no host port)\n`);
      if (network.legacyBridge) process.stdout.write(`${verb} the empty bridge dropship0 of an older dropship\n`);
      for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(`${result.dryRun ? 'Would free' : 'Freed'} ${formatBytes(result.bytes)} (${result.blobs.length} blobs, ${result.unpacked.length} unpacked layers)\n`);
    });
}
