import { spawn, type ChildProcess } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_HOME, uniqueName } from '../../helpers/env.js';
import { readLog, type ContainerOptions, type LogLine } from '../../../src/container/index.js';

const CHILD = fileURLToPath(new URL('./monitor-child.ts', import.meta.url));

/** A log path and exit directory of the test's own. */
export async function monitorPaths(): Promise<{ logPath: string; exitDir: string }> {
  const dir = join(TEST_HOME, 'monitor-test', uniqueName('m'));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return { logPath: join(dir, 'logs', 'app.log'), exitDir: join(dir, 'exits') };
}

/** Create a monitored container from another Node process, which the caller then kills. */
export async function createInChild(options: ContainerOptions): Promise<{ child: ChildProcess; id: string; pid: number; conmonPid: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
    child.on('exit', (code) => reject(new Error(`child exited ${code} before creating the container`)));
  });
  return { child, ...(JSON.parse(line) as { id: string; pid: number; conmonPid: number }) };
}

export async function killHard(child: ChildProcess): Promise<void> {
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

/**
 * Wait until `check` holds, re-checking when something in `dir` changes (and every 200 ms, for
 * changes inotify does not see, such as /proc). A limit only turns a hang into a failure.
 */
export async function until(what: string, check: () => Promise<boolean>, dir?: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  const watcher = dir ? watch(dir) : undefined;
  let wake: (() => void) | undefined;
  watcher?.on('change', () => wake?.());
  try {
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200);
      });
    }
  } finally {
    watcher?.close();
  }
}

export async function logLines(path: string): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of readLog(path)) lines.push(line);
  return lines;
}

export const logDir = (logPath: string) => dirname(logPath);

/** Every conmon process on the host for this container id, by scanning /proc. */
export async function conmonsFor(id: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[0]?.endsWith('conmon') && argv.includes(id)) found.push(Number(entry));
  }
  return found;
}

/** The process state letter from /proc/PID/stat, or undefined when gone. */
export async function processState(pid: number): Promise<string | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return text?.slice(text.lastIndexOf(')') + 2).split(' ')[0];
}
