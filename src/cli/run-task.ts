import type { Command } from 'commander';
import { DropshipError } from '../errors.js';
import { parseDuration } from '../util/units.js';

interface RunTaskFlags {
  stack?: string;
  user: string;
  memory: string;
  pids?: string;
  disk?: string;
  timeout?: string;
  runtime: string;
  env?: string[];
}

function collectEnv(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

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

export function register(program: Command): void {
  program
    .command('run-task')
    .description('run a one-off command in a hardened container on a bare stack; exits with its exit code')
    .usage('--stack <name> [options] -- CMD [ARGS...]')
    .argument('[words...]', 'CMD [ARGS...] after --')
    .option('--stack <name>', 'stack whose root filesystem the task runs on (e.g. tiny)')
    .option('--user <user>', 'vcap (uid 2000, no capabilities) or root (container root, 14 capabilities)', 'vcap')
    .option('--memory <size>', 'memory limit, no swap beyond it', '1G')
    .option('--pids <n>', 'maximum number of processes (default 1024)')
    .option('--disk <size>', 'quota of the writable layer, e.g. 1G (default: none)')
    .option('--timeout <duration>', 'kill the task after this long, e.g. 30s')
    .option('--runtime <name>', 'runc or crun', 'runc')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', collectEnv)
    .action(async (words: string[], flags: RunTaskFlags) => {
      const { app, command: args } = splitOperands(words, process.argv);
      if (app !== undefined) {
        const [{ runAppTask }, { installCleanupHandlers }] = await Promise.all([import('../app/index.js'), import('../container/index.js')]);
        installCleanupHandlers();
        const result = await runAppTask(app, {
          args,
          memory: flags.memory,
          timeoutMs: flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout'),
          env: parseEnv(flags.env),
          stdin: 'inherit',
          onStdout: (chunk) => process.stdout.write(chunk),
          onStderr: (chunk) => process.stderr.write(chunk),
        });
        if (result.message) process.stderr.write(`dropship: ${result.message}\n`);
        process.exitCode = result.exitCode;
        return;
      }
      if (!flags.stack) throw new DropshipError('INVALID_OPTION', 'run-task: --stack is missing', { hint: 'dropship run-task --stack tiny -- sh -c "echo hello"' });
      if (args.length === 0) throw new DropshipError('INVALID_OPTION', 'run-task: no command given', { hint: 'put the command after --, e.g. dropship run-task --stack tiny -- id' });
      const pids = flags.pids === undefined ? undefined : Number(flags.pids);
      if (pids !== undefined && (!Number.isInteger(pids) || pids < 1)) {
        throw new DropshipError('INVALID_OPTION', `--pids: '${flags.pids}' is not a positive integer`, { hint: 'use e.g. --pids 256' });
      }
      const [{ runTask }, { installCleanupHandlers }] = await Promise.all([import('../app/task.js'), import('../container/index.js')]);
      installCleanupHandlers();
      const result = await runTask({
        stack: flags.stack,
        args,
        user: choice('--user', flags.user, ['vcap', 'root'] as const),
        memory: flags.memory,
        pids,
        disk: flags.disk,
        timeoutMs: flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout'),
        runtime: choice('--runtime', flags.runtime, ['runc', 'crun'] as const),
        env: parseEnv(flags.env),
        stdin: 'inherit',
        onStdout: (chunk) => process.stdout.write(chunk),
        onStderr: (chunk) => process.stderr.write(chunk),
      });
      if (result.message) process.stderr.write(`dropship: ${result.message}\n`);
      process.exitCode = result.exitCode;
    });
}
