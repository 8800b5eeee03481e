import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import { DropshipError } from '../errors.js';

/**
 * The conmon driver. `conmon` forks (the first process exits at once, having written
 * `conmon.pid`), the second calls setsid, becomes a child subreaper and runs `runc create`
 * with pipes it holds as the init's stdout and stderr. It reports the init's pid (or runc's
 * error) on the sync pipe, `_OCI_SYNCPIPE`, as one JSON line. It never starts the container:
 * the caller runs `runc start`. When the init exits, conmon drains its output into the log,
 * writes the status to `exit-dir/<id>` (temp file + rename) and exits.
 */

export interface ConmonOptions {
  id: string;
  bundle: string;
  /** Absolute path of the runtime binary (conmon execs it without a PATH search). */
  runtimePath: string;
  initPidFile: string;
  conmonPidFile: string;
  logPath: string;
  logSizeMax: number;
  exitDir: string;
}

async function findExecutable(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const path = join(dir, name);
    if (await access(path, constants.X_OK).then(() => true, () => false)) return path;
  }
  return undefined;
}

const executables = new Map<string, Promise<string | undefined>>();

/** The absolute path of an installed program, or an error saying which package has it. */
export async function requireExecutable(name: string, pkg = name): Promise<string> {
  if (!executables.has(name)) executables.set(name, findExecutable(name));
  const path = await executables.get(name)!;
  if (!path) throw new DropshipError('MONITOR_MISSING', `${name} is not installed (not found in PATH)`, { hint: `apt-get install ${pkg}` });
  return path;
}

export function conmonArgs(options: ConmonOptions): string[] {
  return [
    '--api-version', '1',
    '--cid', options.id,
    '--cuuid', options.id,
    '--runtime', options.runtimePath,
    '--bundle', options.bundle,
    '--container-pidfile', options.initPidFile,
    '--conmon-pidfile', options.conmonPidFile,
    '--log-path', `k8s-file:${options.logPath}`,
    '--log-size-max', String(options.logSizeMax),
    '--exit-dir', options.exitDir,
    // The attach socket in the bundle itself, bound through /proc/self/fd (no 108-byte limit):
    // nothing of the container lives outside its bundle, so nothing is left when it is removed.
    '--full-attach',
  ];
}

/** Read the first line conmon writes to the sync pipe; undefined when it closes without one. */
function firstLine(stream: Readable): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const done = (line: string | undefined) => {
      stream.removeAllListeners('data');
      // conmon keeps its end open for the container's life: let go of ours.
      stream.destroy();
      resolve(line);
    };
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\n');
      if (end >= 0) done(text.slice(0, end));
    });
    stream.on('error', () => done(undefined));
    stream.on('close', () => done(undefined));
  });
}

/**
 * Start conmon for a created-to-be container and wait until `runc create` is done. Resolves
 * with conmon's and the init's pids; rejects with runc's or conmon's own message.
 */
export async function startConmon(options: ConmonOptions): Promise<{ conmonPid: number; initPid: number }> {
  const conmon = await requireExecutable('conmon');
  const child = spawn(conmon, conmonArgs(options), {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    // Only what runc needs: a NOTIFY_SOCKET or LISTEN_PID of the caller must not reach it.
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3' },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2048)));
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, error }));
    child.on('exit', (code) => resolve({ code }));
  });
  const [line, first] = await Promise.all([firstLine(child.stdio[3] as Readable), exited]);
  let reply: { data?: unknown; message?: unknown } | undefined;
  try {
    reply = line === undefined ? undefined : (JSON.parse(line) as typeof reply);
  } catch {
    reply = undefined;
  }
  const initPid = typeof reply?.data === 'number' ? reply.data : -1;
  if (initPid > 0 && first.code === 0) {
    const conmonPid = Number.parseInt(await readFile(options.conmonPidFile, 'utf8'), 10);
    return { conmonPid, initPid };
  }
  const why = String(reply?.message || stderr || first.error?.message || '').trim().split('\n').slice(-5).join('\n');
  throw new DropshipError('CONTAINER_START', `conmon could not create container ${options.id} (${why || `conmon exited ${first.code}`})`, {
    hint: 'run `dropship doctor` to check runc, conmon, user namespaces, overlayfs and cgroups on this host',
    cause: { reply, stderr, exitCode: first.code },
  });
}
