import type { Command } from 'commander';
import type { AppSummary, InstanceStatus } from '../apps/index.js';
import { formatBytes } from '../util/units.js';
import { printJson, printTable, shortDigest } from './output.js';

function uptime(since: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
}

function instanceRow(app: AppSummary, i: InstanceStatus): string[] {
  // A status written before process types names none: it was the app's one process.
  const type = i.process ?? app.processes[0]?.type ?? 'web';
  const limit = app.processes.find((p) => p.type === type)?.memoryBytes;
  return [
    app.name,
    type,
    String(i.index),
    i.state,
    uptime(i.since),
    String(i.restarts),
    i.memoryBytes === undefined ? '-' : `${formatBytes(i.memoryBytes)}${limit === undefined ? '' : `/${formatBytes(limit)}`}`,
    // The release and image an instance runs: during a roll, or after a release made while the
    // app ran, they differ from the app's current one (marked *).
    i.release === undefined ? '-' : `${i.release}${i.release === app.release ? '' : '*'}`,
    i.imageDigest ? shortDigest(i.imageDigest) : '-',
    i.lastExit ?? '-',
  ];
}

/**
 * The tables that `ps`, `run -d`, `start`, `restart` and `scale` print: each app with every
 * process type as running/desired (`web 1/1, worker 0/0`), then each instance.
 */
export function printApps(apps: AppSummary[]): void {
  printTable(
    ['APP', 'STATE', 'PROCESSES', 'PORT', 'RELEASE', 'IMAGE'],
    apps.map((app) => [
      app.name,
      app.state,
      app.processes.map((p) => `${p.type} ${p.running}/${p.instances}`).join(', '),
      String(app.hostPort),
      String(app.release),
      shortDigest(app.imageDigest ?? ''),
    ]),
  );
  const rows = apps.flatMap((app) => app.instances.map((i) => instanceRow(app, i)));
  if (rows.length === 0) return;
  process.stdout.write('\n');
  printTable(['APP', 'PROCESS', '#', 'STATE', 'SINCE', 'RESTARTS', 'MEMORY', 'RELEASE', 'IMAGE', 'LAST EXIT'], rows);
}

export function register(program: Command): void {
  program
    .command('ps')
    .description('list apps with every process type (web 1/1, worker 0/0) and their instances: state, restarts, last exit reason, uptime, memory, release and image digest')
    .argument('[app]', 'only this app')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, options: { json?: boolean }) => {
      const { listApps } = await import('../apps/index.js');
      // Only the daemon's view: ps must not load image or stack code (issue 11). Which apps run an
      // older stack build is `dropship stack ls` (OUTDATED APPS) and `dropship repave --dry-run`.
      const apps = await listApps(name);
      if (options.json) printJson(apps);
      else if (apps.length === 0) process.stdout.write('no apps; start one with `dropship run IMAGE --name APP`\n');
      else printApps(apps);
    });
}
