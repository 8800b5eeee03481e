import type { Command } from 'commander';

type Registrar = (program: Command) => void;

// One line per command file, in the order help lists them; each file registers its command(s)
// and imports the library lazily, inside their actions.
const registrars: Array<[names: string[], load: () => Promise<{ register: Registrar }>]> = [
  [['doctor'], () => import('./doctor.js')],
  [['run'], () => import('./run.js')],
  [['apps'], () => import('./apps.js')],
  [['app'], () => import('./app.js')],
  [['ps'], () => import('./ps.js')],
  [['logs'], () => import('./logs.js')],
  [['stop'], () => import('./stop.js')],
  [['start'], () => import('./start.js')],
  [['restart'], () => import('./restart.js')],
  [['scale'], () => import('./scale.js')],
  [['releases'], () => import('./releases.js')],
  [['rollback'], () => import('./rollback.js')],
  [['env', 'set-env', 'unset-env'], () => import('./env.js')],
  [['delete'], () => import('./delete.js')],
  [['events'], () => import('./events.js')],
  [['run-task'], () => import('./run-task.js')],
  [['tasks'], () => import('./tasks.js')],
  [['ssh'], () => import('./ssh.js')],
  [['stack'], () => import('./stack.js')],
  [['repave'], () => import('./repave.js')],
  [['image'], () => import('./image.js')],
  [['rebase'], () => import('./rebase.js')],
  [['gc'], () => import('./gc.js')],
  [['login', 'logout'], () => import('./login.js')],
  [['push'], () => import('./push.js')],
  [['restage'], () => import('./restage.js')],
  [['stage'], () => import('./stage.js')],
  [['buildpack', 'buildpacks'], () => import('./buildpack.js')],
  [['security-group'], () => import('./security-group.js')],
  [['kube'], () => import('./kube.js')],
  [['build'], () => import('./build.js')],
  [['daemon'], () => import('./daemon.js')],
];

/**
 * Register the command that `args` (the arguments after the program) name, and only that one:
 * loading all thirty command files costs every invocation, `run-task` and `ps` included. Help,
 * a bare `dropship`, an unknown command or an option before the command get them all.
 */
export async function registerCommands(program: Command, args: string[]): Promise<void> {
  const named = args[0] !== undefined && !args[0].startsWith('-') ? registrars.find(([names]) => names.includes(args[0]!)) : undefined;
  const chosen = named ? [named] : registrars;
  for (const { register } of await Promise.all(chosen.map(([, load]) => load()))) register(program);
}
