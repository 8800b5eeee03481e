import type { Command } from 'commander';
import { printJson, printTable, shortDigest } from './output.js';

export function register(program: Command): void {
  program
    .command('releases')
    .description("list an app's releases: number, time, reason, image digest, stack build, instances per process type; the current one is marked *")
    .argument('<app>', 'app name')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const app = await import('../apps/index.js');
      const [spec, recorded] = await Promise.all([app.requireAppSpec(name), app.listReleases(name)]);
      // A release from before releases recorded their stack gets it from its image (absent: unknown).
      const releases = await Promise.all(recorded.map(async (r) => ({ ...r, stack: await app.releaseStack(r) })));
      if (options.json) return printJson(releases.map((r) => ({ ...r, current: r.version === spec.release })));
      const stack = (s: (typeof releases)[number]['stack']) => (s === undefined ? 'unknown' : s === null ? '-' : `${s.name} ${shortDigest(s.build)}`);
      printTable(
        ['', 'RELEASE', 'CREATED', 'REASON', 'IMAGE', 'DIGEST', 'STACK', 'PROCESSES'],
        releases.map((r) => [r.version === spec.release ? '*' : '', String(r.version), r.createdAt, r.reason, r.image, shortDigest(r.imageDigest), stack(r.stack), r.processes.map((p) => `${p.type} ${p.instances}`).join(', ')]),
      );
    });
}
