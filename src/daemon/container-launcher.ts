import { readFile } from 'node:fs/promises';
import { DropshipError } from '../errors.js';
import { DEFAULT_NOFILE } from '../container/index.js';
import { defaultIdMap } from '../security/idmap.js';
import { APP_LABEL, INSTANCE_LABEL, instanceEnv, type AppSpec } from '../apps/index.js';
import { createSandbox, imageArgs, loadAppImage, resolveImageUser, wrapForNetwork } from '../sandbox/index.js';
import type { InstanceHandle, InstanceLauncher, StartRequest } from './instance-launcher.js';

/** Memory in use by the container, from the v1 memory cgroup its init is in. */
async function cgroupMemory(pid: number): Promise<number | undefined> {
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  const line = text.split('\n').find((l) => l.split(':')[1]?.split(',').includes('memory'));
  if (!line) return undefined;
  const path = line.split(':').slice(2).join(':');
  const usage = await readFile(`/sys/fs/cgroup/memory${path}/memory.usage_in_bytes`, 'utf8').catch(() => undefined);
  return usage === undefined ? undefined : Number(usage.trim());
}

/**
 * Instances from an image in the store: its layers unpacked once (shared by all instances),
 * then per instance a sandbox (address, hardened container with the app's limits and env,
 * veth) whose one cleanup is the instance's destroy.
 */
export async function containerLauncher(spec: AppSpec): Promise<InstanceLauncher> {
  const idMap = defaultIdMap();
  // By digest, never by tag: the tag may already name a newer image than this release's.
  const image = await loadAppImage(spec.imageDigest, idMap).catch((error: unknown) => {
    throw new DropshipError('RELEASE_IMAGE_MISSING', `release ${spec.release} of '${spec.name}' runs image ${spec.imageDigest} (${spec.image}), which cannot be loaded: ${(error as Error).message}`, {
      hint: `push the app again, or \`dropship rollback ${spec.name} N\` to a release whose image is in the store (\`dropship releases ${spec.name}\`)`,
      cause: error,
    });
  });
  const user = await resolveImageUser(image.config.User, image.lowerDirs, spec.image);
  const args = await wrapForNetwork(imageArgs(image.config, spec.command, spec.image), image.lowerDirs);
  return {
    imageDigest: image.digest,
    async start(request: StartRequest): Promise<InstanceHandle> {
      const id = `dropship-${spec.name}-${request.index}-${request.guid.slice(0, 8)}`;
      const hostname = request.guid;
      const sandbox = await createSandbox({
        id,
        network: { kind: 'running', app: spec.name, hostname },
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
        limits: { memoryBytes: spec.memoryBytes, diskBytes: spec.diskBytes, nofile: DEFAULT_NOFILE },
        idMap,
        labels: { [APP_LABEL]: spec.name, [INSTANCE_LABEL]: String(request.index) },
        onStdout: (chunk) => request.onOutput('out', chunk),
        onStderr: (chunk) => request.onOutput('err', chunk),
      });
      const exit = sandbox.container.wait();
      return {
        containerId: id,
        ip: sandbox.ip,
        wait: () => exit,
        kill: (signal) => sandbox.container.kill(signal),
        memoryBytes: () => cgroupMemory(sandbox.pid),
        destroy: sandbox.destroy,
      };
    },
  };
}
