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
import { register as runTask } from './run-task.js';
import { register as image } from './image.js';
import { register as rebase } from './rebase.js';
import { register as gc } from './gc.js';
import { register as login } from './login.js';
import { register as stack } from './stack.js';
import { register as push } from './push.js';
import { register as stage } from './stage.js';
import { register as buildpack } from './buildpack.js';
import { register as securityGroup } from './security-group.js';
import { register as kube } from './kube.js';

// One line per command file; each file registers its command(s) and imports the library lazily.
const registrars: Array<(program: Command) => void> = [
  doctor,
  run, ps, logs, stop, start, restart, scale, deleteApp, events,
  runTask,
  stack,
  image, rebase, gc, login,
  push,
  stage, buildpack,
  securityGroup,
  kube,
];

export function registerCommands(program: Command): void {
  for (const register of registrars) register(program);
}
