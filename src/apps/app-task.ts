import { randomUUID } from 'node:crypto';
import { DropshipError } from '../errors.js';
import { defaultIdMap } from '../security/idmap.js';
import { parseMemory } from './run-options.js';
import { parseDuration } from '../util/units.js';
import { instanceEnv } from './env.js';
import { createSandbox, describeTask, loadAppImage, resolveImageUser, TASK_LABEL, taskArgs, waitForTask, type TaskResult } from '../sandbox/index.js';
import { APP_LABEL, mainProcess, requireAppSpec } from './state.js';
import { beginTaskRecord, type TaskRecord } from './task-records.js';

export interface AppTaskOptions {
  args: string[];
  /** The task's name in `dropship tasks` and its log tag (default: 8 hex digits, as cf). */
  name?: string;
  /** Default: the app's memory limit. */
  memory?: string | number;
  /** Kill the task after this long: `30s`, `15m`, or a number of seconds, as every duration. */
  timeout?: string | number;
  env?: Record<string, string>;
  stdin?: 'inherit' | 'ignore';
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

/**
 * `dropship run-task APP -- CMD`, like `cf run-task`: a one-off container from the app's image,
 * as the image's user, with the app's env and limits, through the image's Entrypoint (the
 * launcher, so profile.d scripts run first). Loopback network only. Always removed afterwards.
 */
export async function runAppTask(name: string, options: AppTaskOptions): Promise<TaskResult & { task: TaskRecord }> {
  const spec = await requireAppSpec(name);
  // A task gets the limits of the app's web process, as in Cloud Foundry.
  const { memoryBytes: appMemory, diskBytes } = mainProcess(spec);
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout, '--timeout');
  if (options.args.length === 0) {
    throw new DropshipError('INVALID_OPTION', `run-task ${name}: no command given`, { hint: `put the command after --, e.g. dropship run-task ${name} -- sh -c 'echo hi'` });
  }
  // The container runtime loads here, not with the room: `dropship ps` never needs it.
  const { DEFAULT_NOFILE } = await import('../container/index.js');
  const idMap = defaultIdMap();
  const image = await loadAppImage(spec.image, idMap);
  const memoryBytes = options.memory === undefined ? appMemory : parseMemory(options.memory, '-m');
  const guid = randomUUID();
  const env = instanceEnv({
    appName: spec.name,
    appId: spec.id,
    processType: 'task',
    instanceIndex: 0,
    instanceGuid: guid,
    port: spec.containerPort,
    ip: '127.0.0.1',
    memoryBytes,
    diskBytes,
    fds: DEFAULT_NOFILE,
    services: spec.services,
    imageEnv: image.config.Env,
    userEnv: { ...spec.env, ...options.env },
  });
  const recording = await beginTaskRecord(spec.name, options.args.join(' '), options.name);
  const sandbox = await createSandbox({
    id: `dropship-${spec.name}-task-${guid.slice(0, 8)}`,
    lowerDirs: image.lowerDirs,
    args: taskArgs(image.config, options.args),
    env,
    cwd: image.config.WorkingDir || '/',
    user: await resolveImageUser(image.config.User, image.lowerDirs, spec.image),
    limits: { memoryBytes, diskBytes },
    idMap,
    labels: { [APP_LABEL]: spec.name, [TASK_LABEL]: 'app' },
    stdin: options.stdin,
    onStdout: (chunk) => {
      recording.log('OUT', chunk);
      options.onStdout?.(chunk);
    },
    onStderr: (chunk) => {
      recording.log('ERR', chunk);
      options.onStderr?.(chunk);
    },
  }).catch(async (error: unknown) => {
    await recording.finish({ exitCode: -1, message: (error as Error).message });
    throw error;
  });
  let result: TaskResult;
  try {
    result = await waitForTask(sandbox.container, `${describeTask(options.args)} of ${spec.name}`, timeoutMs, memoryBytes);
  } catch (error) {
    await recording.finish({ exitCode: -1, message: (error as Error).message });
    throw error;
  } finally {
    await sandbox.destroy();
  }
  return { ...result, task: await recording.finish(result) };
}
