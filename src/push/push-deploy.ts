import {
  allocateHostPort,
  commitRelease,
  createApp,
  normalizeRunOptions,
  readAppSpec,
  recordEvent,
  runApp,
  startApp,
  stopApp,
  supervisorState,
  updateApp,
  type InstanceStatus,
  type RunOptions,
} from '../apps/index.js';
import { containerPortFor, inspectAppImage } from '../sandbox/index.js';

export interface Deployed {
  hostPort: number;
  running: boolean;
  instances: InstanceStatus[];
  /** The instances the app's current release asks for. */
  requested: number;
  /** The release this push made. */
  release: number;
  /** The app existed before this push (its id, host port and logs were kept). */
  replaced: boolean;
}

export interface DeployOptions {
  strategy: 'replace' | 'rolling';
  /** Make the release and start nothing (`push --no-start`); a later start or restart runs it. */
  noStart?: boolean;
  onLog?: (line: string) => void;
}

/**
 * Make a freshly built image the app's new release, pinned to the image's digest. A new app is
 * created (and started detached); an existing one keeps its id, host port, logs and, unless
 * `options.instances` is given, its instance count, as `cf push` does.
 */
export async function deployImage(options: RunOptions, deploy: DeployOptions): Promise<Deployed> {
  const onLog = deploy.onLog ?? (() => undefined);
  const existing = await readAppSpec(options.name);
  if (!existing) {
    if (deploy.noStart) {
      const spec = await createApp({ ...options, reason: 'push' });
      onLog(`${options.name}: release ${spec.release} made; not started (--no-start)`);
      return { hostPort: spec.hostPort, running: false, instances: [], requested: spec.instances, release: spec.release, replaced: false };
    }
    onLog(`${options.name}: starting ${options.instances ?? 1} instance(s)`);
    const result = await runApp({ ...options, reason: 'push' });
    const spec = await readAppSpec(options.name);
    return { ...result, requested: spec?.instances ?? 1, release: spec?.release ?? 1, replaced: false };
  }
  const state = await supervisorState(options.name);
  const normalized = await normalizeRunOptions(options);
  const image = await inspectAppImage(options.image);
  const { port, name: _name, id: _id, createdAt: _createdAt, ...content } = normalized;
  const release = {
    ...content,
    instances: options.instances === undefined ? existing.instances : normalized.instances,
    image: image.ref,
    imageDigest: image.digest,
    stack: image.stack,
    containerPort: containerPortFor(port.container, image.config.ExposedPorts),
  };
  const reason = `push ${image.ref}`;
  const { release: _release, ...identity } = existing;
  if (deploy.noStart) {
    // The running instances stay as they are; `restart` (or `restart --rolling`) moves them onto it.
    const spec = await commitRelease({ ...identity, ...release }, reason);
    onLog(`${options.name}: release ${spec.release} made; \`dropship restart ${options.name}\` runs it`);
    return { hostPort: spec.hostPort, running: false, instances: [], requested: spec.instances, release: spec.release, replaced: true };
  }
  if (deploy.strategy === 'rolling' && state.kind === 'running') {
    onLog(`${options.name}: replacing instances one at a time (each new one healthy before an old one is drained)`);
    const result = await updateApp(options.name, release, reason);
    return { ...result, requested: release.instances, replaced: true };
  }
  if (state.kind === 'running') {
    onLog(`${options.name}: stopping the running instances (SIGTERM, then SIGKILL after the stop timeout)`);
    await stopApp(options.name);
  }
  const hostPort = port.host && port.host !== existing.hostPort ? await allocateHostPort(options.name, port.host) : existing.hostPort;
  const spec = await commitRelease({ ...identity, ...release, hostPort }, reason);
  await recordEvent(options.name, { type: 'push', message: `replaced by release ${spec.release} (image ${image.ref} ${image.digest})` });
  onLog(`${options.name}: starting ${spec.instances} instance(s) of release ${spec.release}`);
  const result = await startApp(options.name);
  return { hostPort: result.hostPort, running: result.running, instances: result.instances, requested: spec.instances, release: spec.release, replaced: true };
}
