import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { runTool, spawnTool, type RunningTool } from '../util/run-tool.js';

export type RuntimeName = 'runc' | 'crun';

/**
 * crun 1.8 refuses hybrid cgroup hosts ("cgroups in hybrid mode not supported"); in a private
 * mount namespace without the cgroup2 mount at /sys/fs/cgroup/unified it sees plain cgroup v1.
 * unshare makes the namespace's mounts private, so the umount never reaches the host.
 */
const CRUN_WRAPPER = 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun "$@"';

/**
 * Debian's crun 1.8.1 re-owns the files it is given as stdio to the container's user — the
 * host's /dev/null and a task's stdin file included (fixed upstream in 2025). So crun is only
 * ever handed pipes: stdin is a pipe this process feeds from its own stdin ('inherit') or closes
 * at once ('ignore'); stdout and stderr are pipes anyway. runc, in the foreground without a
 * terminal, already puts pipes of its own between the caller's files and the container.
 */
function feedStdin(subprocess: RunningTool['child'], wanted: 'inherit' | 'ignore'): void {
  const stdin = subprocess.stdin;
  if (!stdin) return;
  if (wanted === 'ignore') {
    stdin.end();
    return;
  }
  process.stdin.pipe(stdin);
  subprocess.once('exit', () => {
    process.stdin.unpipe(stdin);
    process.stdin.pause();
  });
}

export function runtimeCommand(runtime: RuntimeName, args: string[]): { file: string; args: string[] } {
  if (runtime === 'crun') return { file: 'unshare', args: ['-m', 'sh', '-c', CRUN_WRAPPER, 'crun', ...args] };
  return { file: 'runc', args };
}

function failure(runtime: RuntimeName, args: string[], result: { exitCode?: number; stderr?: unknown; code?: string }): DropshipError {
  const stderr = String(result.stderr ?? '').trim().split('\n').slice(-5).join('\n');
  const missing = result.code === 'ENOENT';
  return new DropshipError('RUNTIME_FAILED', `${runtime} ${args.join(' ')} failed${missing ? ': not installed' : ` (exit ${result.exitCode ?? '?'})`}${stderr ? `: ${stderr}` : ''}`, {
    hint: missing ? `apt-get install ${runtime}` : `run \`dropship doctor\` to check what this host's ${runtime} can do`,
    cause: result,
  });
}

/** Run a short runtime command to completion; its stdout is returned. */
export async function runtimeCall(runtime: RuntimeName, args: string[], options: { allowFailure?: boolean } = {}): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const cmd = runtimeCommand(runtime, args);
  const result = await runTool(cmd.file, cmd.args, runtime === 'crun' ? { input: '' } : {});
  if (result.failed && !options.allowFailure) throw failure(runtime, args, result);
  return { ok: !result.failed, stdout: result.stdout, stderr: result.stderr };
}

export interface RuntimeState {
  id: string;
  pid: number;
  status: string;
  bundle: string;
  annotations?: Record<string, string>;
}

export async function runtimeState(runtime: RuntimeName, id: string): Promise<RuntimeState | undefined> {
  const result = await runtimeCall(runtime, ['state', id], { allowFailure: true });
  return result.ok ? (JSON.parse(result.stdout) as RuntimeState) : undefined;
}

export async function runtimeList(runtime: RuntimeName): Promise<RuntimeState[]> {
  const result = await runtimeCall(runtime, ['list', '--format', 'json'], { allowFailure: true });
  if (!result.ok) return [];
  const parsed = JSON.parse(result.stdout || 'null') as RuntimeState[] | null;
  return parsed ?? [];
}

/** Send a signal to every process of the container; a container already gone is not an error. */
export async function runtimeKill(runtime: RuntimeName, id: string, signal: string = 'KILL'): Promise<void> {
  await runtimeCall(runtime, ['kill', id, signal.replace(/^SIG/, '')], { allowFailure: true });
}

/** `delete --force` kills what still runs; a container that does not exist is not an error. */
export async function runtimeDelete(runtime: RuntimeName, id: string): Promise<void> {
  const result = await runtimeCall(runtime, ['delete', '--force', id], { allowFailure: true });
  if (!result.ok && !/does not exist|not exist|No such file/i.test(result.stderr)) {
    throw failure(runtime, ['delete', '--force', id], { stderr: result.stderr });
  }
}

/**
 * `create` hands its own stdio to the container's init, which keeps it open: with pipes, the
 * caller would wait for their end as long as the container lives. So the init gets /dev/null,
 * and runc's errors go to a log file in the bundle instead of stderr.
 */
export async function runtimeCreate(runtime: RuntimeName, bundle: string, id: string, pidFile: string): Promise<void> {
  if (runtime === 'crun') {
    throw new DropshipError('RUNTIME_UNSUPPORTED', 'crun create: a detached crun container would get /dev/null as stdio, which crun 1.8 re-owns to the container user', {
      hint: 'use runc for detached containers, or a foreground run (createContainer) with crun',
    });
  }
  const log = join(bundle, 'create.log');
  const args = ['--log', log, '--log-format', 'json', 'create', '--bundle', bundle, '--pid-file', pidFile, id];
  const cmd = runtimeCommand(runtime, args);
  const result = await runTool(cmd.file, cmd.args, { stdout: 'ignore', stderr: 'ignore' });
  if (result.failed) {
    const lines = (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
    const messages = lines.map((line) => {
      try {
        return String((JSON.parse(line) as { msg?: unknown }).msg ?? line);
      } catch {
        return line;
      }
    });
    throw failure(runtime, ['create', '--bundle', bundle, id], { exitCode: result.exitCode, stderr: messages.join('\n'), code: result.code });
  }
}

export async function runtimeStart(runtime: RuntimeName, id: string): Promise<void> {
  await runtimeCall(runtime, ['start', id]);
}

/** One `events --stats` sample (memory, cpu, pids usage) of a running runc container. */
export async function runtimeStats(id: string): Promise<Record<string, unknown> | undefined> {
  const result = await runtimeCall('runc', ['events', '--stats', id], { allowFailure: true });
  return result.ok ? (JSON.parse(result.stdout) as { data: Record<string, unknown> }).data : undefined;
}

export interface StreamOptions {
  stdin: 'inherit' | 'ignore';
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Keeps the last bytes of stderr for error messages. */
  stderrTail?: { text: string };
}

function spawnStreaming(runtime: RuntimeName, args: string[], options: StreamOptions): RunningTool {
  const cmd = runtimeCommand(runtime, args);
  const subprocess = spawnTool(cmd.file, cmd.args, { stdin: runtime === 'crun' ? 'pipe' : options.stdin, stdout: 'pipe', stderr: 'pipe' });
  const { child } = subprocess;
  if (runtime === 'crun') feedStdin(child, options.stdin);
  child.stdout!.on('data', (chunk: Buffer) => options.onStdout?.(chunk));
  child.stderr!.on('data', (chunk: Buffer) => {
    if (options.stderrTail) options.stderrTail.text = (options.stderrTail.text + chunk.toString('utf8')).slice(-2048);
    options.onStderr?.(chunk);
  });
  return subprocess;
}

/**
 * `run` in the foreground, not `create`/`start`: the runtime stays the parent of the container's
 * init, reaps it and exits with its status (128+signal when killed). A detached init would be
 * re-parented to pid 1 and its exit status lost. runc's `--keep` leaves the stopped container
 * (and its cgroup, with the OOM counter) until `delete`; crun has no such flag.
 */
export function spawnRun(runtime: RuntimeName, bundle: string, id: string, pidFile: string, options: StreamOptions): RunningTool {
  const keep = runKeepsContainer(runtime) ? ['--keep'] : [];
  return spawnStreaming(runtime, ['run', ...keep, '--bundle', bundle, '--pid-file', pidFile, id], options);
}

/** Whether a foreground `run` leaves the stopped container for `delete` (see spawnRun). */
export function runKeepsContainer(runtime: RuntimeName): boolean {
  return runtime === 'runc';
}

export function spawnExec(runtime: RuntimeName, id: string, processFile: string, pidFile: string, options: StreamOptions): RunningTool {
  return spawnStreaming(runtime, ['exec', '--process', processFile, '--pid-file', pidFile, id], options);
}
