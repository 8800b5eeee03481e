import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { adoptContainer, createContainer, DEFAULT_NOFILE, type MonitoredContainer } from '../container/index.js';
import { attachNetwork, prepareNetwork, teardownNetwork } from '../network/index.js';
import { defaultIdMap } from '../security/idmap.js';
import { instanceEnv } from '../apps/index.js';
import { loadAppImage, wrapForNetwork, imageArgs, resolveImageUser } from '../sandbox/index.js';
import type { InstanceHandle, InstanceLauncher, StartRequest } from './instance-launcher.js';
import { GUID_LABEL, IP_LABEL, instanceDirs } from './paths.js';
import { APP_LABEL, INSTANCE_LABEL, type AppSpec } from '../apps/index.js';

/** Memory in use by the container, from the v1 memory cgroup its init is in. */
async function cgroupMemory(pid: number): Promise<number | undefined> {
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  const line = text.split('\n').find((l) => l.split(':')[1]?.split(',').includes('memory'));
  if (!line) return undefined;
  const path = line.split(':').slice(2).join(':');
  const usage = await readFile(`/sys/fs/cgroup/memory${path}/memory.usage_in_bytes`, 'utf8').catch(() => undefined);
  return usage === undefined ? undefined : Number(usage.trim());
}

/** The supervisor's handle on a monitored container, new or adopted: same teardown either way. */
function handleFor(container: MonitoredContainer, ip: string, pid: number): InstanceHandle {
  const exit = container.wait();
  let destroying: Promise<void> | undefined;
  return {
    containerId: container.id,
    ip,
    pid,
    logPath: container.logPath!,
    wait: () => exit,
    kill: (signal) => container.kill(signal),
    memoryBytes: () => cgroupMemory(pid),
    destroy: () =>
      (destroying ??= (async () => {
        await teardownNetwork(container.id).catch(() => undefined);
        await container.destroy();
      })()),
  };
}

/**
 * Instances from an image in the store: its layers unpacked once (shared by all instances),
 * then per instance an address, a hardened container under conmon (so it outlives the daemon)
 * with the app's limits and env, and the veth plugged in once the container's init runs.
 */
export async function containerLauncher(spec: AppSpec): Promise<InstanceLauncher> {
  const idMap = defaultIdMap();
  const image = await loadAppImage(spec.image, idMap);
  const user = await resolveImageUser(image.config.User, image.lowerDirs, spec.image);
  const args = await wrapForNetwork(imageArgs(image.config, spec.command, spec.image), image.lowerDirs);
  const dirs = instanceDirs();
  return {
    async start(request: StartRequest): Promise<InstanceHandle> {
      const containerId = `dropship-${spec.name}-${request.index}-${request.guid.slice(0, 8)}`;
      const hostname = request.guid;
      const network = { containerId, kind: 'running' as const, app: spec.name, hostname };
      let container: MonitoredContainer | undefined;
      try {
        const prepared = await prepareNetwork(network);
        container = await createContainer({
          id: containerId,
          lowerDirs: image.lowerDirs,
          args,
          env: instanceEnv({
            appName: spec.name,
            appId: spec.id,
            processType: spec.processType,
            instanceIndex: request.index,
            instanceGuid: request.guid,
            port: spec.containerPort,
            ip: prepared.ip,
            hostPort: spec.hostPort,
            memoryBytes: spec.memoryBytes,
            diskBytes: spec.diskBytes,
            fds: DEFAULT_NOFILE,
            services: spec.services,
            imageEnv: image.config.Env,
            userEnv: spec.env,
          }),
          cwd: image.config.WorkingDir || '/',
          user,
          hostname,
          mounts: prepared.mounts,
          limits: {
            memoryBytes: spec.memoryBytes,
            diskBytes: spec.diskBytes,
            nofile: DEFAULT_NOFILE,
          },
          network: 'none',
          idMap,
          labels: {
            [APP_LABEL]: spec.name,
            [INSTANCE_LABEL]: String(request.index),
            [GUID_LABEL]: request.guid,
            [IP_LABEL]: prepared.ip,
          },
          monitor: { logPath: join(dirs.logs, `${containerId}.log`), exitDir: dirs.exits },
        });
        const pid = await container.pid();
        await attachNetwork({ ...network, pid });
        return handleFor(container, prepared.ip, pid);
      } catch (error) {
        await container?.destroy().catch(() => undefined);
        await teardownNetwork(containerId).catch(() => undefined);
        throw error;
      }
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
  return handleFor(container, labels[IP_LABEL] ?? '', pid);
}
