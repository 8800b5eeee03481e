import type { Command } from 'commander';
import { register as doctor } from './doctor.js';
import { register as run } from './run.js';
import { register as ps } from './ps.js';
import { register as logs } from './logs.js';
import { register as stop } from './stop.js';
import { register as start } from './start.js';
import { register as restart } from './restart.js';
import { register as scale } from './scale.js';
import { register as deleteApp } from './delete.js';
import { register as events } from './events.js';
import { register as releases } from './releases.js';
import { register as rollback } from './rollback.js';
import { register as env } from './env.js';
import { register as runTask } from './run-task.js';
import { register as tasks } from './tasks.js';
import { register as ssh } from './ssh.js';
import { register as image } from './image.js';
import { register as rebase } from './rebase.js';
import { register as gc } from './gc.js';
import { register as login } from './login.js';
import { register as stack } from './stack.js';
import { register as repave } from './repave.js';
import { register as push } from './push.js';
import { register as restage } from './restage.js';
import { register as stage } from './stage.js';
import { register as buildpack } from './buildpack.js';
import { register as securityGroup } from './security-group.js';
import { register as kube } from './kube.js';
import { register as build } from './build.js';
import { register as daemon } from './daemon.js';

// One line per command file; each file registers its command(s) and imports the library lazily.
const registrars: Array<(program: Command) => void> = [
  doctor,
  run, ps, logs, stop, start, restart, scale, releases, rollback, env, deleteApp, events,
  runTask, tasks, ssh,
  stack, repave,
  image, rebase, gc, login,
  push, restage,
  stage, buildpack,
  securityGroup,
  kube,
  build,
  daemon,
];

export function registerCommands(program: Command): void {
  for (const register of registrars) register(program);
}
