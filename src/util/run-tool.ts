import { spawn, type ChildProcess } from 'node:child_process';

/** How a host tool ended. `exitCode` is undefined when a signal killed it or it never ran. */
export interface ToolResult {
  exitCode?: number;
  signal?: NodeJS.Signals;
  /** Non-zero exit, a signal, or it could not be run (`code` says why, e.g. ENOENT). */
  failed: boolean;
  code?: string;
  stdout: string;
  stderr: string;
}

type Output = 'collect' | 'pipe' | 'inherit' | 'ignore';
const collects = (output: Output = 'collect') => output === 'collect';
const stdio = (output: Output = 'collect') => (collects(output) ? 'pipe' : output);

export interface ToolOptions {
  /** Written to the tool's stdin, which is then closed; without it stdin is `stdin`. */
  input?: string;
  stdin?: 'ignore' | 'inherit' | 'pipe';
  /** 'collect' (the default) into the result; 'pipe' for the caller to read from `child`. */
  stdout?: Output;
  stderr?: Output;
}

/** A started tool: its process (streams, kill) and how it ended. */
export interface RunningTool {
  readonly child: ChildProcess;
  readonly done: Promise<ToolResult>;
}

/**
 * Start a host tool (runc, mount, apparmor_parser…) with plain spawn. Not execa: its hundred
 * modules cost a CLI that only starts a container about as much CPU as Node's own start.
 * `done` never rejects; a tool that cannot be run resolves failed, with `code`.
 */
export function spawnTool(file: string, args: string[], options: ToolOptions = {}): RunningTool {
  const stdin = options.input !== undefined ? 'pipe' : (options.stdin ?? 'ignore');
  const child = spawn(file, args, { stdio: [stdin, stdio(options.stdout), stdio(options.stderr)] });
  const done = new Promise<ToolResult>((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    if (collects(options.stdout)) child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    if (collects(options.stderr)) child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
    const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8').replace(/\n$/, '');
    let spawnError: NodeJS.ErrnoException | undefined;
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
      // No process started: 'close' may never come.
      if (child.pid === undefined) resolve({ failed: true, code: error.code, stdout: '', stderr: error.message });
    });
    child.once('close', (code, signal) => {
      resolve({
        ...(code !== null ? { exitCode: code } : {}),
        ...(signal ? { signal } : {}),
        failed: code !== 0 || spawnError !== undefined,
        ...(spawnError ? { code: spawnError.code } : {}),
        stdout: text(out),
        stderr: text(err),
      });
    });
  });
  if (child.stdin) {
    // The tool may exit before reading all of it: that is not an error of ours.
    child.stdin.on('error', () => undefined);
    if (options.input !== undefined) child.stdin.end(options.input);
  }
  return { child, done };
}

/** Run a host tool to completion (see spawnTool). */
export function runTool(file: string, args: string[], options: ToolOptions = {}): Promise<ToolResult> {
  return spawnTool(file, args, options).done;
}
