// The sandbox room: one container with its network and init, for staging, tasks and app instances.
// The face stays light (`ps`, `stop` import it): the container runtime, the network and the
// stack load on the first call of a function that needs them.
import type { IdMap } from '../security/idmap.js';
import type { Sandbox, SandboxOptions } from './sandbox.js';
import type { TaskOptions } from './task.js';
import type { TaskResult } from './task-result.js';

export { resolveImageUser, imageArgs, taskArgs, containerPortFor, cnbProcessTypes } from './image-user.js';
export { loadAppImage, inspectAppImage, type InspectedImage } from './image-rootfs.js';
export { awaitingNetwork } from './await-network.js';
export type { TaskOptions } from './task.js';
export type { Sandbox, SandboxOptions } from './sandbox.js';
export { TASK_LABEL, describeTask, waitForTask, type TaskResult } from './task-result.js';

/** `dropship run-task` on a bare stack, or in an app's image (see apps' runAppTask). */
export async function runTask(options: TaskOptions): Promise<TaskResult> {
  return (await import('./task.js')).runTask(options);
}

/** The stack's layer, unpacked with ids shifted for `idMap`: the lowerdir of a task's rootfs. */
export async function stackLowerDirs(stack: string, idMap?: IdMap): Promise<string[]> {
  return (await import('./task.js')).stackLowerDirs(stack, idMap);
}

/** A container with its network and init, removed by one idempotent `destroy` (see sandbox.ts). */
export async function createSandbox(options: SandboxOptions): Promise<Sandbox> {
  return (await import('./sandbox.js')).createSandbox(options);
}

/** Remove the sandboxes of these ids (left by an owner that is gone): network, then container. */
export async function removeSandboxes(ids: Iterable<string>): Promise<void> {
  return (await import('./orphans.js')).removeSandboxes(ids);
}

/** Remove the containers labelled `label=value` and the `known` ids, with their networks. */
export async function removeLabelledContainers(label: string, value: string, known?: Iterable<string>): Promise<string[]> {
  return (await import('./orphans.js')).removeLabelledContainers(label, value, known);
}
