import type { Command } from 'commander';
import type { AppSummary, InstanceSummary } from '../apps/index.js';
import { formatBytes } from '../util/units.js';
import { processesCell, stackCell, uptime } from './app-cells.js';
import { printJson, printTable } from './output.js';

/** An instance with the limits of its process type (of the current release, as ps shows them). */
function instanceView(app: AppSummary, i: InstanceSummary) {
  // A status written before process types names none: it was the app's one process.
  const type = i.process ?? app.processes[0]?.type ?? 'web';
  const limits = app.processes.find((p) => p.type === type);
  return {
    ...i,
    process: type,
    uptimeSeconds: Math.max(0, Math.round((Date.now() - Date.parse(i.since)) / 1000)),
    ...(limits ? { memoryLimitBytes: limits.memoryBytes, diskLimitBytes: limits.diskBytes } : {}),
  };
}

function usedOf(used: number | undefined, limit: number | undefined): string {
  if (used === undefined) return '-';
  return `${formatBytes(used)}${limit === undefined ? '' : `/${formatBytes(limit)}`}`;
}

function printApp(app: AppSummary): void {
  const lines: Array<[string, string]> = [
    ['name', app.name],
    ['state', app.state],
    ['instances', processesCell(app)],
    ['url', app.url ?? '-'],
    ['stack', stackCell(app.stack)],
    ['release', String(app.release)],
    ['image', app.image],
    ['digest', app.imageDigest],
    ['buildpacks', app.buildpacks?.length ? app.buildpacks.join(', ') : '-'],
  ];
  for (const [key, value] of lines) process.stdout.write(`${`${key}:`.padEnd(12)}${value}\n`);
  if (app.instances.length === 0) return;
  process.stdout.write('\n');
  printTable(
    ['PROCESS', '#', 'STATE', 'SINCE', 'RESTARTS', 'MEMORY', 'CPU', 'DISK', 'LAST EXIT'],
    app.instances.map((i) => {
      const view = instanceView(app, i);
      return [
        view.process,
        String(i.index),
        i.state,
        uptime(i.since),
        String(i.restarts),
        usedOf(i.memoryBytes, view.memoryLimitBytes),
        i.cpuNanos === undefined ? '-' : `${(i.cpuNanos / 1e9).toFixed(2)}s`,
        usedOf(i.diskUsedBytes, view.diskLimitBytes),
        i.lastExit ?? '-',
      ];
    }),
  );
}

export function register(program: Command): void {
  program
    .command('app')
    .description('one app, as `cf app`: what `apps` shows, its image and digest, buildpacks, and each instance: state, uptime, restarts, memory, CPU time and disk in use, last exit')
    .argument('<app>', 'the app')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      // Light like ps: the daemon reads usage from each instance's cgroups and quota disk.
      const { listApps } = await import('../apps/index.js');
      // One summary: an unknown app is APP_NOT_FOUND (error: and hint:) before anything prints.
      const app = (await listApps(name))[0]!;
      if (options.json) printJson({ ...app, instances: app.instances.map((i) => instanceView(app, i)) });
      else printApp(app);
    });
}
