import type { Command } from 'commander';
import { printJson, printTable } from './output.js';

function duration(ms: number | undefined): string {
  return ms === undefined ? '' : ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

export function register(program: Command): void {
  program
    .command('tasks')
    .description("an app's tasks (run-task APP): id, name, state RUNNING/SUCCEEDED/FAILED, exit code, start, duration, command")
    .argument('<app>', 'app name')
    .option('--logs <name>', 'print the log of the latest task of that name (lines tagged [APP/TASK/NAME/0])')
    .option('--json', 'print JSON')
    .action(async (app: string, options: { logs?: string; json?: boolean }) => {
      const room = await import('../apps/index.js');
      await room.requireAppSpec(app);
      if (options.logs !== undefined) return void process.stdout.write(await room.readTaskLog(app, options.logs));
      const tasks = await room.listTasks(app);
      if (options.json) return printJson(tasks);
      printTable(
        ['ID', 'NAME', 'STATE', 'EXIT', 'STARTED', 'DURATION', 'COMMAND'],
        tasks.map((t) => [String(t.id), t.name, t.state, t.exitCode === undefined ? '' : String(t.exitCode), t.startedAt, duration(t.durationMs), t.command]),
      );
    });
}
