import type { Command } from 'commander';
import { processesCell, stackCell } from './app-cells.js';
import { printJson, printTable } from './output.js';

export function register(program: Command): void {
  program
    .command('apps')
    .description('list apps, as `cf apps`: state, instances per process type (web 1/1, worker 0/2), URL, stack and current release')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      // Light like ps: the daemon's view and the apps' small JSON records, no image or stack code.
      const { listApps } = await import('../apps/index.js');
      const apps = await listApps();
      if (options.json) {
        printJson(apps.map((app) => ({
          name: app.name,
          state: app.state,
          processes: app.processes.map(({ type, running, instances }) => ({ type, running, instances })),
          url: app.url ?? null,
          stack: app.stack,
          release: app.release,
        })));
      } else if (apps.length === 0) {
        process.stdout.write('no apps; push one with `dropship push APP` or start one with `dropship run IMAGE --name APP`\n');
      } else {
        printTable(
          ['NAME', 'STATE', 'INSTANCES', 'URL', 'STACK', 'RELEASE'],
          apps.map((app) => [app.name, app.state, processesCell(app), app.url ?? '-', stackCell(app.stack), String(app.release)]),
        );
      }
    });
}
