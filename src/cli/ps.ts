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
  return [
    app.name,
    String(i.index),
    i.state,
    uptime(i.since),
    String(i.restarts),
    i.memoryBytes === undefined ? '-' : `${formatBytes(i.memoryBytes)}/${formatBytes(app.memoryBytes)}`,
    String(app.hostPort),
    // The release and image an instance runs: during a roll, or after a release made while the
    // app ran, they differ from the app's current one (marked *).
    i.release === undefined ? '-' : `${i.release}${i.release === app.release ? '' : '*'}`,
    i.imageDigest ? shortDigest(i.imageDigest) : '-',
    i.lastExit ?? '-',
  ];
}

/** The instance table that `ps`, `run -d`, `start`, `restart` and `scale` print. */
export function printApps(apps: AppSummary[]): void {
  const rows: string[][] = [];
  for (const app of apps) {
    if (app.instances.length === 0) {
      rows.push([app.name, '-', app.state, '-', '-', '-', String(app.hostPort), String(app.release), shortDigest(app.imageDigest ?? ''), '-']);
    }
    for (const i of app.instances) rows.push(instanceRow(app, i));
  }
  printTable(['APP', '#', 'STATE', 'SINCE', 'RESTARTS', 'MEMORY', 'PORT', 'RELEASE', 'IMAGE', 'LAST EXIT'], rows);
}

export function register(program: Command): void {
  program
    .command('ps')
    .description('list apps and their instances: state, restarts, last exit reason, uptime, memory, host port, release and image digest')
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
