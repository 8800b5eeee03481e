import { DropshipError } from '../errors.js';
import {
  allocateHostPort,
  cancelledError,
  commitRelease,
  isCancelled,
  createApp,
  listAppNames,
  normalizeRunOptions,
  readAppSpec,
  recordEvent,
  restoreRelease,
  runApp,
  spawnSupervisor,
  startApp,
  stopApp,
  supervisorState,
  updateApp,
  type AppSpec,
  type InstanceStatus,
  type ProcessSpec,
  type RunOptions,
} from '../apps/index.js';
import { containerPortFor, inspectAppImage } from '../sandbox/index.js';

export interface Deployed {
  /** The app's current release after the push (every process type). */
  spec: AppSpec;
  running: boolean;
  instances: InstanceStatus[];
  /** The app existed before this push (its id, host port and logs were kept). */
  replaced: boolean;
}

export interface DeployOptions {
  strategy: 'replace' | 'rolling';
  /** Make the release and start nothing (`push --no-start`); a later start or restart runs it. */
  noStart?: boolean;
  onLog?: (line: string) => void;
  /** Ctrl-C: stop waiting for health; the app is left on the release it had (stopped if new). */
  signal?: AbortSignal;
}

/**
 * Before process types belonged to one app, push ran each non-web type as an app of its own,
 * `<name>-<type>`, on the same image. Such an app would run beside the new process of the same
 * type, so the push is refused until it is deleted (nothing is changed before).
 */
async function refuseSeparateProcessApps(name: string, image: string): Promise<void> {
  const old: string[] = [];
  for (const other of await listAppNames()) {
    if (!other.startsWith(`${name}-`)) continue;
    const spec = await readAppSpec(other).catch(() => undefined);
    const only = spec?.processes.length === 1 ? spec.processes[0]! : undefined;
    if (spec?.image === image && only && only.type !== 'web' && other === `${name}-${only.type}`) old.push(other);
  }
  if (old.length === 0) return;
  throw new DropshipError('SEPARATE_PROCESS_APPS', `${old.map((o) => `'${o}'`).join(', ')} run process types of '${name}' as separate apps (how push ran them before process types belonged to one app)`, {
    hint: `delete them (${old.map((o) => `\`dropship delete ${o}\``).join(', ')}) and push again: each type becomes a process of ${name}; \`dropship scale ${name} --process TYPE -i N\` sets its instances`,
  });
}

/** The count of each process type a push did not set: the app's current one, else the type's default. */
function keepCounts(processes: ProcessSpec[], options: RunOptions, existing: AppSpec): ProcessSpec[] {
  return processes.map((p, i) => {
    const given = options.processes?.[i]?.instances;
    const current = existing.processes.find((e) => e.type === p.type);
    return given === undefined && current ? { ...p, instances: current.instances } : p;
  });
}

/**
 * Make a freshly built image the app's new release, pinned to the image's digest, with every
 * process type of `options.processes`. A new app is created (and started detached); an existing
 * one keeps its id, host port, logs and, for each process type the push does not set, its
 * instance count, as `cf push` does.
 */
export async function deployImage(options: RunOptions, deploy: DeployOptions): Promise<Deployed> {
  const onLog = deploy.onLog ?? (() => undefined);
  const { signal } = deploy;
  if (signal?.aborted) throw cancelledError(`push of '${options.name}' stopped before its start (Ctrl-C): nothing was released`, undefined, signal);
  await refuseSeparateProcessApps(options.name, options.image);
  const existing = await readAppSpec(options.name);
  const counts = (spec: AppSpec) => spec.processes.map((p) => `${p.type} ${p.instances}`).join(', ');
  if (!existing) {
    if (deploy.noStart) {
      const spec = await createApp({ ...options, reason: 'push' });
      onLog(`${options.name}: release ${spec.release} made; not started (--no-start)`);
      return { spec, running: false, instances: [], replaced: false };
    }
    onLog(`${options.name}: starting its instances`);
    const result = await runApp({ ...options, reason: 'push' }, { signal });
    const spec = (await readAppSpec(options.name))!;
    return { spec, running: result.running, instances: result.instances, replaced: false };
  }
  const state = await supervisorState(options.name);
  const normalized = await normalizeRunOptions(options);
  const image = await inspectAppImage(options.image);
  const { port, name: _name, id: _id, createdAt: _createdAt, ...content } = normalized;
  const release = {
    ...content,
    processes: keepCounts(normalized.processes, options, existing),
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
    return { spec, running: false, instances: [], replaced: true };
  }
  if (deploy.strategy === 'rolling' && state.kind === 'running') {
    onLog(`${options.name}: replacing instances one at a time (each new one healthy before an old one is drained)`);
    const result = await updateApp(options.name, release, reason, { signal });
    return { spec: (await readAppSpec(options.name))!, running: result.running, instances: result.instances, replaced: true };
  }
  if (state.kind === 'running') {
    onLog(`${options.name}: stopping the running instances (SIGTERM, then SIGKILL after the stop timeout)`);
    await stopApp(options.name);
  }
  const hostPort = port.host && port.host !== existing.hostPort ? await allocateHostPort(options.name, port.host) : existing.hostPort;
  const spec = await commitRelease({ ...identity, ...release, hostPort }, reason);
  await recordEvent(options.name, { type: 'push', message: `replaced by release ${spec.release} (image ${image.ref} ${image.digest})` });
  onLog(`${options.name}: starting ${counts(spec)} instance(s) of release ${spec.release}`);
  const result = await startApp(options.name, { signal }).catch(async (error: unknown) => {
    if (!isCancelled(error, signal)) throw error;
    // The new release's instances are stopped (startApp did that): back on the one it had,
    // started again if it ran (its instances were stopped for this push).
    await restoreRelease(existing, spec.release);
    if (state.kind === 'running') await spawnSupervisor(options.name);
    throw cancelledError(
      `stopped waiting for release ${spec.release} of '${options.name}' (Ctrl-C): it is back on release ${existing.release}${state.kind === 'running' ? ', starting again' : ', stopped'}`,
      `\`dropship ps ${options.name}\` shows its instances`,
      signal,
    );
  });
  return { spec, running: result.running, instances: result.instances, replaced: true };
}
