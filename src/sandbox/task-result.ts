import type { Container, ExitInfo } from '../container/index.js';
import { formatBytes } from '../util/units.js';

// How a task ends and how that is told: light, so run-task of an app can share it without
// loading the stack and the unpacker.
export const TASK_LABEL = 'dropship.task';

export interface TaskResult extends ExitInfo {
  containerId: string;
  /** Why the task ended abnormally (timeout, out of memory), in words a user can act on. */
  message?: string;
}

export function describeTask(args: string[]): string {
  const text = args.join(' ');
  return `task \`${text.length > 60 ? `${text.slice(0, 57)}...` : text}\``;
}

/**
 * Wait for a task's container to exit, killing it once `timeoutMs` has passed; the result says
 * in words why the task ended abnormally (timeout, out of memory).
 */
export async function waitForTask(container: Container, what: string, timeoutMs: number | undefined, memoryBytes: number): Promise<TaskResult> {
  let timedOut = false;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          void container.kill('SIGKILL');
        }, timeoutMs);
  try {
    const exit = await container.wait();
    const result: TaskResult = { ...exit, timedOut, containerId: container.id };
    if (timedOut) result.message = `${what} timed out after ${timeoutMs! / 1000}s and was killed`;
    else if (exit.oomKilled) result.message = `${what} was killed: out of memory (limit ${formatBytes(memoryBytes)})`;
    return result;
  } finally {
    if (timer) clearTimeout(timer);
  }
}
