import type { Command } from 'commander';
import { DropshipError } from '../errors.js';
import { collect } from './output.js';

interface RunTaskFlags {
  stack?: string;
  user: string;
  memory?: string;
  pids?: string;
  disk?: string;
  timeout?: string;
  runtime: string;
  env?: string[];
  port?: string[];
  securityGroup?: string[];
  name?: string;
}

/** Flags that shape a bare-stack container; an app's task takes them from the app instead. */
const STACK_ONLY_FLAGS: Array<[keyof RunTaskFlags, string]> = [
  ['stack', '--stack'],
  ['user', '--user'],
  ['pids', '--pids'],
  ['disk', '--disk'],
  ['runtime', '--runtime'],
  ['port', '--port'],
  ['securityGroup', '--security-group'],
];

function parseEnv(pairs: string[] = []): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new DropshipError('INVALID_OPTION', `--env: '${pair}' is not KEY=VALUE`, { hint: 'write --env NAME=value' });
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new DropshipError('INVALID_OPTION', `${flag}: '${value}' is not one of ${allowed.join(', ')}`, { hint: `use ${flag} ${allowed[0]}` });
}

function positiveInteger(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new DropshipError('INVALID_OPTION', `${flag}: '${value}' is not a positive integer`, { hint: `use e.g. ${flag} 256` });
  return n;
}

/**
 * Split `[APP] -- CMD [ARGS…]`: commander hands over all operands at once, so the position of
 * `--` in the raw arguments tells the optional app apart from the command.
 */
export function splitOperands(operands: string[], rawArgs: string[]): { app?: string; command: string[] } {
  const dashes = rawArgs.indexOf('--');
  const commandLength = dashes < 0 ? operands.length : rawArgs.length - dashes - 1;
  const before = operands.slice(0, operands.length - commandLength);
  return { app: before[0], command: operands.slice(operands.length - commandLength) };
}

/** What both kinds of task share: the terminal's streams, the env and the timeout. */
function taskIo(flags: RunTaskFlags) {
  return {
    timeout: flags.timeout,
    env: parseEnv(flags.env),
    stdin: 'inherit' as const,
    onStdout: (chunk: Buffer) => process.stdout.write(chunk),
    onStderr: (chunk: Buffer) => process.stderr.write(chunk),
  };
}

/**
 * Set up Ctrl-C cleanup and, with DROPSHIP_DEBUG, say whether AppArmor confines the task
 * (`dropship doctor` always says it): where the kernel lacks AppArmor the profile is not applied.
 */
async function prepareContainers(): Promise<void> {
  const { installCleanupHandlers, containerApparmor } = await import('../container/index.js');
  installCleanupHandlers();
  if (!process.env.DROPSHIP_DEBUG) return;
  const apparmor = await containerApparmor();
  process.stderr.write(
    apparmor.enforced
      ? `dropship: AppArmor profile ${apparmor.profile} enforced\n`
      : `dropship: AppArmor not enforced (${apparmor.reason}); seccomp, capabilities, user namespace and masked paths still apply\n`,
  );
}

function finish(result: { exitCode: number; message?: string }): void {
  if (result.message) process.stderr.write(`dropship: ${result.message}\n`);
  process.exitCode = result.exitCode;
}

async function runInApp(app: string, args: string[], flags: RunTaskFlags, command: Command): Promise<void> {
  const given = STACK_ONLY_FLAGS.filter(([key]) => command.getOptionValueSource(key) === 'cli').map(([, flag]) => flag);
  if (given.length > 0) {
    throw new DropshipError('INVALID_OPTION', `run-task ${app}: ${given.join(', ')} only apply to a task on a bare stack`, {
      hint: `an app's task runs in its image with its user and limits; drop ${given.join(', ')}, or run \`dropship run-task --stack NAME -- CMD\``,
    });
  }
  const [{ runAppTask }] = await Promise.all([import('../apps/index.js'), prepareContainers()]);
  finish(await runAppTask(app, { args, memory: flags.memory, name: flags.name, ...taskIo(flags) }));
}

async function runOnStack(args: string[], flags: RunTaskFlags): Promise<void> {
  if (flags.name !== undefined) throw new DropshipError('INVALID_OPTION', 'run-task: --name names the task of an app', { hint: 'dropship run-task APP --name NAME -- CMD; a bare-stack task is not recorded' });
  if (!flags.stack) throw new DropshipError('INVALID_OPTION', 'run-task: --stack is missing', { hint: 'dropship run-task --stack tiny -- sh -c "echo hello", or dropship run-task APP -- CMD' });
  if (args.length === 0) throw new DropshipError('INVALID_OPTION', 'run-task: no command given', { hint: 'put the command after --, e.g. dropship run-task --stack tiny -- id' });
  const pids = positiveInteger('--pids', flags.pids);
  // -p parsing loads only for a task that maps ports.
  const ports = flags.port?.length ? flags.port.map((await import('../network/ports.js')).parsePortMapping) : [];
  const [{ runTask }] = await Promise.all([import('../sandbox/index.js'), prepareContainers()]);
  const result = await runTask({
    stack: flags.stack,
    args,
    user: choice('--user', flags.user, ['vcap', 'root'] as const),
    memory: flags.memory,
    pids,
    disk: flags.disk,
    ports,
    securityGroups: flags.securityGroup ?? [],
    onNetwork: (network) => {
      for (const port of network.hostPorts) process.stderr.write(`dropship: host port ${port.host} -> task port ${port.container}\n`);
    },
    runtime: choice('--runtime', flags.runtime, ['runc', 'crun'] as const),
    ...taskIo(flags),
  });
  finish(result);
}

export function register(program: Command): void {
  program
    .command('run-task')
    .description("run a one-off command in a hardened container, on a bare stack (--stack) or in an app's image (APP, like `cf run-task`); exits with its exit code")
    .usage('--stack <name> [options] -- CMD [ARGS...]\n       dropship run-task APP [--memory <size>] [--timeout <duration>] [-e KEY=VALUE] -- CMD [ARGS...]')
    .argument('[words...]', '[APP] -- CMD [ARGS...]')
    .option('--name <name>', "an app's task: its name in `dropship tasks APP` and its log tag [APP/TASK/NAME/0] (default: 8 hex digits)")
    .option('--stack <name>', 'stack whose root filesystem the task runs on (e.g. tiny)')
    .option('--user <user>', 'vcap (uid 2000, no capabilities) or root (container root, 14 capabilities)', 'vcap')
    .option('-m, --memory <size>', "memory limit, no swap beyond it (default 1G; an app's task: the app's limit)")
    .option('--pids <n>', 'maximum number of processes (default 1024)')
    .option('-k, --disk <size>', 'quota of the writable layer, e.g. 1G (default: none)')
    .option('--timeout <duration>', 'kill the task after this long, e.g. 30s')
    .option('--runtime <name>', 'runc or crun', 'runc')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', collect)
    .option('-p, --port <HOSTPORT[:CONTAINERPORT]>', 'map a host port to the task (container port 8080 when omitted; :PORT takes a host port from the pool)', collect)
    .option('--security-group <name>', 'security group for this task, on top of those bound to running containers (repeatable)', collect)
    .action(async (words: string[], flags: RunTaskFlags, command: Command) => {
      const { app, command: args } = splitOperands(words, process.argv);
      if (app !== undefined) await runInApp(app, args, flags, command);
      else await runOnStack(args, flags);
    });
}
