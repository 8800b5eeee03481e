import { runApp, startApp, stopApp, updateApp } from '../apps/index.js';
import { allocateHostPort } from '../apps/index.js';
import { inspectAppImage } from '../sandbox/index.js';
import { containerPortFor } from '../sandbox/index.js';
import { normalizeRunOptions, type RunOptions } from '../apps/index.js';
import { readAppSpec, recordEvent, writeAppSpec, type InstanceStatus } from '../apps/index.js';
import { supervisorState } from '../apps/index.js';

export interface Deployed {
  hostPort: number;
  running: boolean;
  instances: InstanceStatus[];
  /** The app existed before this push (its id, host port and logs were kept). */
  replaced: boolean;
}

/**
 * Run a freshly built image under an app name: a new app is created and started detached; an
 * existing one keeps its id, host port and logs, gets the new spec, and is restarted on it.
 */
export async function deployImage(
  options: RunOptions,
  strategy: 'replace' | 'rolling',
  onLog: (line: string) => void = () => undefined,
): Promise<Deployed> {
  const existing = await readAppSpec(options.name);
  if (!existing) {
    onLog(`${options.name}: starting ${options.instances ?? 1} instance(s)`);
    const result = await runApp(options);
    return { hostPort: result.hostPort, running: result.running, instances: result.instances, replaced: false };
  }
  const state = await supervisorState(options.name);
  const normalized = await normalizeRunOptions(options);
  const image = await inspectAppImage(options.image);
  const { port, ...rest } = normalized;
  const spec = {
    ...rest,
    id: existing.id,
    createdAt: existing.createdAt,
    image: image.ref,
    hostPort: port.host && port.host !== existing.hostPort ? await allocateHostPort(options.name, port.host) : existing.hostPort,
    containerPort: containerPortFor(port.container, image.config.ExposedPorts),
  };
  await recordEvent(options.name, { type: 'push', message: `replaced by image ${image.ref}` });
  if (strategy === 'rolling' && state.kind === 'running') {
    onLog(`${options.name}: replacing instances one at a time (each new one healthy before an old one stops)`);
    const result = await updateApp(options.name, spec);
    return { hostPort: result.hostPort, running: result.running, instances: result.instances, replaced: true };
  }
  if (state.kind === 'running') {
    onLog(`${options.name}: stopping the running instances (SIGTERM, then SIGKILL after the stop timeout)`);
    await stopApp(options.name);
  }
  await writeAppSpec(spec);
  onLog(`${options.name}: starting ${normalized.instances} instance(s) on the new image`);
  const result = await startApp(options.name);
  return { hostPort: result.hostPort, running: result.running, instances: result.instances, replaced: true };
}
