import { newContainerId } from '../container/index.js';
import type { HostPort, PortMapping } from '../network/index.js';
// Not oci/index.js: that face also loads the registry client, which no task needs.
import { ensureUnpacked } from '../oci/unpack-cache.js';
import { defaultIdMap, type IdMap } from '../security/idmap.js';
import { ensureStack } from '../stack/index.js';
import { parseDuration, parseQuota } from '../util/units.js';
import { awaitingNetwork } from './await-network.js';
import { createSandbox } from './sandbox.js';
import { describeTask, TASK_LABEL, waitForTask, type TaskResult } from './task-result.js';

export const DEFAULT_TASK_MEMORY = '1G';

export interface TaskOptions {
  /** Stack whose layer is the task's root filesystem (built on first use). */
  stack: string;
  args: string[];
  /** Default vcap: tasks run unprivileged like apps. */
  user?: 'vcap' | 'root';
  /** Bytes or a size like `64M`; default 1G. Swap is not allowed beyond it. */
  memory?: string | number;
  pids?: number;
  /** Bytes or a size like `1G`: quota of the task's writable layer (none when omitted). */
  disk?: string | number;
  /** Kill the task after this long (no limit when omitted): `30s`, `15m`, or a number of seconds, as every duration. */
  timeout?: string | number;
  env?: Record<string, string>;
  cwd?: string;
  runtime?: 'runc' | 'crun';
  stdin?: 'inherit' | 'ignore';
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Host ports mapped to the task (`-p`). With ports or security groups the task gets a network. */
  ports?: PortMapping[];
  /** Security groups for this task, on top of those bound to running containers. */
  securityGroups?: string[];
  /** Called once the task's network is up. */
  onNetwork?: (network: { ip: string; hostPorts: HostPort[] }) => void;
}

/** The stack's layer, unpacked with ids shifted for `idMap`: the lowerdir of a task's rootfs. */
export async function stackLowerDirs(stack: string, idMap: IdMap = defaultIdMap()): Promise<string[]> {
  const info = await ensureStack(stack);
  return [await ensureUnpacked(info.diffId, idMap)];
}

/**
 * A one-off command in a hardened container on a bare stack (like `cf run-task`): the container
 * is always removed afterwards, whether the command finished, timed out or ran out of memory.
 * Programs that can be interrupted call installCleanupHandlers() so that Ctrl-C removes it too.
 */
export async function runTask(options: TaskOptions): Promise<TaskResult> {
  const memoryBytes = parseQuota(options.memory ?? DEFAULT_TASK_MEMORY, '-m');
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout, '--timeout');
  const idMap = defaultIdMap();
  const lowerDirs = await stackLowerDirs(options.stack, idMap);
  const user = options.user ?? 'vcap';
  const networked = Boolean(options.ports?.length || options.securityGroups?.length);
  const sandbox = await createSandbox({
    id: newContainerId(),
    network: networked ? { kind: 'running', ports: options.ports, securityGroups: options.securityGroups } : undefined,
    lowerDirs,
    args: networked ? awaitingNetwork(options.args) : options.args,
    user,
    env: options.env,
    cwd: options.cwd ?? (user === 'vcap' ? '/home/vcap' : '/'),
    limits: {
      memoryBytes,
      ...(options.pids === undefined ? {} : { pids: options.pids }),
      ...(options.disk === undefined ? {} : { diskBytes: parseQuota(options.disk, '-k') }),
    },
    runtime: options.runtime,
    idMap,
    labels: { [TASK_LABEL]: options.stack },
    stdin: options.stdin,
    onStdout: options.onStdout,
    onStderr: options.onStderr,
  });
  try {
    if (networked) options.onNetwork?.({ ip: sandbox.ip, hostPorts: sandbox.hostPorts });
    return await waitForTask(sandbox.container, describeTask(options.args), timeoutMs, memoryBytes);
  } finally {
    await sandbox.destroy();
  }
}
