import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { adoptContainer, DEFAULT_NOFILE, type MonitoredContainer } from '../container/index.js';
import { teardownNetwork } from '../network/index.js';
import { defaultIdMap } from '../security/idmap.js';
import { APP_LABEL, INSTANCE_LABEL, PROCESS_LABEL, instanceEnv, type ProcessView } from '../apps/index.js';
import { createSandbox, imageArgs, loadAppImage, resolveImageUser } from '../sandbox/index.js';
import type { InstanceHandle, InstanceLauncher, StartRequest } from './instance-launcher.js';
import { instanceUsage } from './instance-usage.js';
import { DIGEST_LABEL, GUID_LABEL, IP_LABEL, RELEASE_LABEL, instanceDirs } from './paths.js';

/** The supervisor's handle on a monitored container, new or adopted: `destroy` removes network and container. */
function handleFor(container: MonitoredContainer, ip: string, pid: number, destroy: () => Promise<void>): InstanceHandle {
  const exit = container.wait();
  return {
    containerId: container.id,
    ip,
    pid,
    logPath: container.logPath!,
    wait: () => exit,
    kill: (signal) => container.kill(signal),
    monitorLost: () => container.monitorLost(),
    usage: () => instanceUsage(pid, container.bundle),
    destroy,
  };
}

/**
 * Instances of one process type from an image in the store: its layers unpacked once (shared by all instances),
 * then per instance a sandbox (address, hardened container with the app's limits and env,
 * veth) under conmon, so that it outlives the daemon; its one cleanup is the instance's destroy.
 */
export async function containerLauncher(spec: ProcessView): Promise<InstanceLauncher> {
  const idMap = defaultIdMap();
  // By digest, never by tag: the tag may already name a newer image than this release's.
  const image = await loadAppImage(spec.imageDigest, idMap).catch((error: unknown) => {
    throw new DropshipError('RELEASE_IMAGE_MISSING', `release ${spec.release} of '${spec.name}' runs image ${spec.imageDigest} (${spec.image}), which cannot be loaded: ${(error as Error).message}`, {
      hint: `push the app again, or \`dropship rollback ${spec.name} N\` to a release whose image is in the store (\`dropship releases ${spec.name}\`)`,
      cause: error,
    });
  });
  const user = await resolveImageUser(image.config.User, image.lowerDirs, spec.image);
  // No wait for the network in front: a monitored sandbox's process starts with its veth plugged in.
  const args = imageArgs(image.config, spec.command, spec.image, spec.processType);
  const dirs = instanceDirs();
  return {
    imageDigest: image.digest,
    async start(request: StartRequest): Promise<InstanceHandle> {
      const id = `dropship-${spec.name}-${spec.processType}-${request.index}-${request.guid.slice(0, 8)}`;
      const sandbox = await createSandbox({
        id,
        network: { kind: 'running', app: spec.name },
        lowerDirs: image.lowerDirs,
        args,
        // The address is only known once leased: the env is made from what the sandbox is given.
        env: (ip: string) =>
          instanceEnv({
            appName: spec.name,
            appId: spec.id,
            processType: spec.processType,
            instanceIndex: request.index,
            instanceGuid: request.guid,
            port: spec.containerPort,
            ip,
            // Only the routed process is reachable on the host port.
            ...(spec.routed ? { hostPort: spec.hostPort } : {}),
            memoryBytes: spec.memoryBytes,
            diskBytes: spec.diskBytes,
            fds: DEFAULT_NOFILE,
            services: spec.services,
            imageEnv: image.config.Env,
            userEnv: spec.env,
          }),
        cwd: image.config.WorkingDir || '/',
        user,
        hostname: request.guid,
        limits: { memoryBytes: spec.memoryBytes, diskBytes: spec.diskBytes, nofile: DEFAULT_NOFILE },
        idMap,
        // What a later daemon needs to adopt the instance: whose it is, which process and index, its address, what it runs.
        labels: (ip: string) => ({
          [APP_LABEL]: spec.name,
          [PROCESS_LABEL]: spec.processType,
          [INSTANCE_LABEL]: String(request.index),
          [GUID_LABEL]: request.guid,
          [IP_LABEL]: ip,
          [RELEASE_LABEL]: String(spec.release),
          [DIGEST_LABEL]: image.digest,
        }),
        monitor: { logPath: join(dirs.logs, `${id}.log`), exitDir: dirs.exits },
      });
      return handleFor(sandbox.container as MonitoredContainer, sandbox.ip, sandbox.pid, sandbox.destroy);
    },
  };
}

/**
 * The handle of an instance a daemon before this one started (found by listMonitoredContainers):
 * undefined when the container cannot be adopted (no record).
 */
export async function adoptInstance(containerId: string, labels: Record<string, string>): Promise<InstanceHandle | undefined> {
  const container = await adoptContainer(containerId);
  if (!container) return undefined;
  const pid = await container.pid().catch(() => 0);
  let destroying: Promise<void> | undefined;
  const destroy = () =>
    (destroying ??= (async () => {
      // Network out first, then the container: the sandbox's order.
      try {
        await teardownNetwork(containerId);
      } finally {
        await container.destroy();
      }
    })());
  return handleFor(container, labels[IP_LABEL] ?? '', pid, destroy);
}
