import type { Command } from 'commander';
import type { AppSummary, InstanceSummary } from '../apps/index.js';
import { formatBytes } from '../util/units.js';
import { processesCell, stackCell, uptime } from './app-cells.js';
import { printJson, printTable, shortDigest } from './output.js';

function instanceRow(app: AppSummary, i: InstanceSummary): string[] {
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
    stackCell(i.stack),
    i.lastExit ?? '-',
  ];
}

/**
 * The tables that `ps`, `run -d`, `start`, `restart` and `scale` print: each app with every
 * process type as running/desired (`web 1/1, worker 0/0`), then each instance.
 */
export function printApps(apps: AppSummary[]): void {
  printTable(
    ['APP', 'STATE', 'PROCESSES', 'PORT', 'RELEASE', 'IMAGE', 'STACK'],
    apps.map((app) => [
      app.name,
      app.state,
      processesCell(app),
      String(app.hostPort),
      String(app.release),
      shortDigest(app.imageDigest ?? ''),
      stackCell(app.stack),
    ]),
  );
  const rows = apps.flatMap((app) => app.instances.map((i) => instanceRow(app, i)));
  if (rows.length === 0) return;
  process.stdout.write('\n');
  printTable(['APP', 'PROCESS', '#', 'STATE', 'SINCE', 'RESTARTS', 'MEMORY', 'RELEASE', 'IMAGE', 'STACK', 'LAST EXIT'], rows);
}

export function register(program: Command): void {
  program
    .command('ps')
    .description('list apps with every process type (web 1/1, worker 0/0) and their instances: state, restarts, last exit reason, uptime, memory, release, image digest and whether its stack build is outdated')
    .argument('[app]', 'only this app')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, options: { json?: boolean }) => {
      const { listApps } = await import('../apps/index.js');
      // The daemon's view and small JSON records: ps must not load image or stack code (issue 11);
      // the stack marks come from what each release recorded (see apps' stackMarks).
      const apps = await listApps(name);
      if (options.json) printJson(apps);
      else if (apps.length === 0) process.stdout.write('no apps; start one with `dropship run IMAGE --name APP`\n');
      else printApps(apps);
    });
}
