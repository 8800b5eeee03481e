/**
 * Containers this process created and has not destroyed yet, so that Ctrl-C or a SIGTERM
 * destroys them instead of leaving mounts, cgroups and runtime state behind.
 */
interface Destroyable {
  destroy(): Promise<void>;
}

const live = new Set<Destroyable>();
let installed = false;

export function track(container: Destroyable): void {
  live.add(container);
}

export function untrack(container: Destroyable): void {
  live.delete(container);
}

/** Other teardown (a task's network, say) that must follow its container's on Ctrl-C. */
const afterContainers = new Set<() => Promise<void>>();

/** Run `cleanup` after the live containers are destroyed on Ctrl-C or SIGTERM; returns its unregister. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  afterContainers.add(cleanup);
  return () => afterContainers.delete(cleanup);
}

export async function destroyLiveContainers(): Promise<void> {
  await Promise.allSettled([...live].map((c) => c.destroy()));
  await Promise.allSettled([...afterContainers].map((cleanup) => cleanup()));
}

/** Install SIGINT/SIGTERM handlers that destroy live containers, then exit 128+signal. */
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  let exiting = false;
  // Listeners stay installed while cleaning up: a second signal must not kill the process
  // half-way (loaders like tsx exit on a signal nobody else listens to).
  const handler = (signal: NodeJS.Signals, code: number) => {
    if (exiting) return;
    exiting = true;
    if (live.size > 0) process.stderr.write(`\n${signal}: removing ${live.size} container(s)\n`);
    void destroyLiveContainers().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => handler('SIGINT', 130));
  process.on('SIGTERM', () => handler('SIGTERM', 143));
}
