import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { processAlive } from '../util/lock.js';
import { appPaths, readJson } from './state.js';

export type TaskState = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** One `run-task APP` as `dropship tasks APP` lists it; written atomically at start and at end. */
export interface TaskRecord {
  /** Sequence number within the app, as `cf tasks` shows it. */
  id: number;
  name: string;
  command: string;
  state: TaskState;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  exitCode?: number;
  /** Why it failed, when the exit code alone does not say (timeout, out of memory). */
  message?: string;
  /** The dropship process that waits for it: a RUNNING record whose waiter died is FAILED. */
  pid: number;
}

const TASK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const RECORD = /^(\d+)\.json$/;

function tasksDir(app: string): string {
  return join(appPaths(app).dir, 'tasks');
}

export function validateTaskName(name: string): string {
  if (!TASK_NAME.test(name)) {
    throw new DropshipError('INVALID_TASK_NAME', `run-task --name: '${name}' is not a task name`, {
      hint: 'use letters, digits, -, _ and . (at most 63 characters)',
    });
  }
  return name;
}

async function recordIds(app: string): Promise<number[]> {
  const entries = await readdir(tasksDir(app)).catch(() => [] as string[]);
  return entries.flatMap((e) => RECORD.exec(e)?.[1] ?? []).map(Number).sort((a, b) => a - b);
}

/** A RUNNING record whose waiting process is gone ended without a result (the CLI was killed). */
function settled(record: TaskRecord): TaskRecord {
  if (record.state !== 'RUNNING' || processAlive(record.pid)) return record;
  return { ...record, state: 'FAILED', message: 'dropship stopped waiting for it (the command was killed)' };
}

/** `dropship tasks APP`: oldest first. */
export async function listTasks(app: string): Promise<TaskRecord[]> {
  const records: TaskRecord[] = [];
  for (const id of await recordIds(app)) {
    const record = await readJson<TaskRecord>(join(tasksDir(app), `${id}.json`));
    if (record) records.push(settled(record));
  }
  return records;
}

/** The task's log lines, each tagged `[APP/TASK/NAME/0]` (the latest task of that name). */
export async function readTaskLog(app: string, name: string): Promise<string> {
  const record = (await listTasks(app)).filter((t) => t.name === name).at(-1);
  if (!record) {
    throw new DropshipError('TASK_NOT_FOUND', `app '${app}' has no task named '${name}'`, { hint: `\`dropship tasks ${app}\` lists its tasks` });
  }
  return readFile(join(tasksDir(app), `${record.id}.log`), 'utf8').catch(() => '');
}

/** Splits a stream into lines and appends each, tagged, to the task's log (0600). */
class TaggedLog {
  private readonly partial = { OUT: '', ERR: '' };

  constructor(
    private readonly out: WriteStream,
    private readonly tag: string,
  ) {}

  write(stream: 'OUT' | 'ERR', chunk: Buffer): void {
    const lines = (this.partial[stream] + chunk.toString('utf8')).split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const line of lines) this.line(stream, line);
  }

  private line(stream: 'OUT' | 'ERR', line: string): void {
    this.out.write(`${new Date().toISOString()} ${this.tag} ${stream} ${line}\n`);
  }

  async close(): Promise<void> {
    for (const stream of ['OUT', 'ERR'] as const) if (this.partial[stream]) this.line(stream, this.partial[stream]);
    await new Promise<void>((resolve, reject) => this.out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}

/** A task being recorded: its log and a finish that writes the final state. */
export interface TaskRecording {
  record: TaskRecord;
  log: (stream: 'OUT' | 'ERR', chunk: Buffer) => void;
  finish: (result: { exitCode: number; message?: string }) => Promise<TaskRecord>;
}

/** Start a task record (RUNNING) and its log; a name defaults to 8 hex digits, as cf's. */
export async function beginTaskRecord(app: string, command: string, name?: string): Promise<TaskRecording> {
  const dir = tasksDir(app);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const taskName = name === undefined ? randomBytes(4).toString('hex') : validateTaskName(name);
  // Two tasks started at once may race for a number: the exclusive log file decides who gets it.
  let id = ((await recordIds(app)).at(-1) ?? 0) + 1;
  let out: WriteStream;
  for (;;) {
    const candidate = createWriteStream(join(dir, `${id}.log`), { flags: 'wx', mode: 0o600 });
    const opened = await new Promise<boolean>((resolve, reject) => {
      candidate.once('open', () => resolve(true));
      candidate.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EEXIST' ? resolve(false) : reject(error)));
    });
    if (opened) {
      out = candidate;
      break;
    }
    id++;
  }
  const file = join(dir, `${id}.json`);
  const started = new Date();
  const record: TaskRecord = { id, name: taskName, command, state: 'RUNNING', startedAt: started.toISOString(), pid: process.pid };
  await writeJsonAtomic(file, record, { mode: 0o600 });
  const tagged = new TaggedLog(out, `[${app}/TASK/${taskName}/0]`);
  return {
    record,
    log: (stream, chunk) => tagged.write(stream, chunk),
    finish: async (result) => {
      await tagged.close();
      const finished = new Date();
      const final: TaskRecord = {
        ...record,
        state: result.exitCode === 0 ? 'SUCCEEDED' : 'FAILED',
        exitCode: result.exitCode,
        finishedAt: finished.toISOString(),
        durationMs: finished.getTime() - started.getTime(),
        ...(result.message ? { message: result.message } : {}),
      };
      await writeJsonAtomic(file, final, { mode: 0o600 });
      return final;
    },
  };
}
