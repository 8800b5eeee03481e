import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DropshipError } from '../errors.js';
import { callControl } from './control.js';
import { livenessIntervalFromEnv } from './liveness-env.js';
import { appPaths, processAlive, readSupervisorRecord } from './state.js';

/**
 * The supervisor's entry module in the daemon room (.ts under tsx in tests, .js from dist/).
 * A path, not an import: the supervisor is another process, so the app API never loads it.
 */
function entryModule(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`../daemon/supervisor-main${ext}`, import.meta.url));
}

export type SupervisorState = { kind: 'running'; pid: number } | { kind: 'stopped' } | { kind: 'dead'; pid: number };

/** Whether the app's supervisor lives; `dead` means it was killed without cleaning up. */
export async function supervisorState(name: string): Promise<SupervisorState> {
  const record = await readSupervisorRecord(name);
  if (!record) return { kind: 'stopped' };
  return processAlive(record.pid) ? { kind: 'running', pid: record.pid } : { kind: 'dead', pid: record.pid };
}

/**
 * Only the flags that make our own modules loadable (tsx in development and tests) go to the
 * supervisor: `-e`, `--test` and the like would make it run the parent's program instead.
 */
export function loaderArgs(execArgv: string[]): string[] {
  const loaders = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const flag = arg.split('=')[0]!;
    if (!loaders.has(flag)) continue;
    kept.push(arg);
    if (!arg.includes('=') && i + 1 < execArgv.length) kept.push(execArgv[++i]!);
  }
  return kept;
}

/**
 * Start the app's supervisor as a background process of its own session, so it outlives the
 * CLI; its own output goes to supervisor.log (0600). Resolves once its control socket answers.
 */
export async function spawnSupervisor(name: string, timeoutMs = 60_000): Promise<number> {
  // The supervisor gets our env: reject a bad value here, where the error and its hint reach the user.
  livenessIntervalFromEnv(process.env);
  const paths = appPaths(name);
  const log = await open(paths.supervisorLog, 'a', 0o600);
  let exited: { code: number | null } | undefined;
  const child = spawn(process.execPath, [...loaderArgs(process.execArgv), entryModule(), name], {
    detached: true,
    stdio: ['ignore', log.fd, log.fd],
    env: process.env,
  });
  child.once('exit', (code) => (exited = { code }));
  await log.close();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (exited) {
        const tail = (await readFile(paths.supervisorLog, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
        throw new DropshipError('SUPERVISOR_FAILED', `the supervisor of '${name}' exited (code ${exited.code}) before it was ready${tail ? `:\n${tail}` : ''}`, {
          hint: `see ${paths.supervisorLog}`,
        });
      }
      try {
        await callControl(paths.socket, { op: 'status' }, 2000);
        return child.pid!;
      } catch {
        if (Date.now() > deadline) {
          throw new DropshipError('SUPERVISOR_TIMEOUT', `the supervisor of '${name}' did not come up within ${timeoutMs / 1000}s`, {
            hint: `see ${paths.supervisorLog}`,
          });
        }
        // Short: every poll interval lands on the start time of `run -d`, and a refused connect is cheap.
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  } finally {
    child.unref();
  }
}
