import type { Command } from 'commander';
import { printJson, printTable, shortDigest } from './output.js';

export function register(program: Command): void {
  program
    .command('releases')
    .description("list an app's releases: number, time, reason, image digest, instances per process type; the current one is marked *")
    .argument('<app>', 'app name')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const app = await import('../apps/index.js');
      const [spec, releases] = await Promise.all([app.requireAppSpec(name), app.listReleases(name)]);
      if (options.json) return printJson(releases.map((r) => ({ ...r, current: r.version === spec.release })));
      printTable(
        ['', 'RELEASE', 'CREATED', 'REASON', 'IMAGE', 'DIGEST', 'PROCESSES'],
        releases.map((r) => [r.version === spec.release ? '*' : '', String(r.version), r.createdAt, r.reason, r.image, shortDigest(r.imageDigest), r.processes.map((p) => `${p.type} ${p.instances}`).join(', ')]),
      );
    });
}
