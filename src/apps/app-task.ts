import { randomUUID } from 'node:crypto';
import { DropshipError } from '../errors.js';
import { defaultIdMap } from '../security/idmap.js';
import { parseMemory } from './run-options.js';
import { instanceEnv } from './env.js';
import { describeTask, loadAppImage, resolveImageUser, TASK_LABEL, waitForTask, type TaskResult } from '../sandbox/index.js';
import { APP_LABEL, requireAppSpec } from './state.js';

export interface AppTaskOptions {
  args: string[];
  /** Default: the app's memory limit. */
  memory?: string | number;
  timeoutMs?: number;
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
export async function runAppTask(name: string, options: AppTaskOptions): Promise<TaskResult> {
  const spec = await requireAppSpec(name);
  if (options.args.length === 0) {
    throw new DropshipError('INVALID_OPTION', `run-task ${name}: no command given`, { hint: `put the command after --, e.g. dropship run-task ${name} -- sh -c 'echo hi'` });
  }
  // The container runtime loads here, not with the room: `dropship ps` never needs it.
  const { createContainer, DEFAULT_NOFILE } = await import('../container/index.js');
  const idMap = defaultIdMap();
  const image = await loadAppImage(spec.image, idMap);
  const memoryBytes = options.memory === undefined ? spec.memoryBytes : parseMemory(options.memory, '-m');
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
    diskBytes: spec.diskBytes,
    fds: DEFAULT_NOFILE,
    services: spec.services,
    imageEnv: image.config.Env,
    userEnv: { ...spec.env, ...options.env },
  });
  const container = await createContainer({
    id: `dropship-${spec.name}-task-${guid.slice(0, 8)}`,
    lowerDirs: image.lowerDirs,
    args: [...(image.config.Entrypoint ?? []), ...options.args],
    env,
    cwd: image.config.WorkingDir || '/',
    user: await resolveImageUser(image.config.User, image.lowerDirs, spec.image),
    limits: { memoryBytes, diskBytes: spec.diskBytes },
    idMap,
    labels: { [APP_LABEL]: spec.name, [TASK_LABEL]: 'app' },
    stdin: options.stdin,
    onStdout: options.onStdout,
    onStderr: options.onStderr,
  });
  try {
    return await waitForTask(container, `${describeTask(options.args)} of ${spec.name}`, options.timeoutMs, memoryBytes);
  } finally {
    await container.destroy();
  }
}
