import { createContainer, onInterrupt, type Container, type ContainerOptions } from '../container/index.js';
import type { AttachOptions, HostPort, NetworkAttachment, PreparedNetwork } from '../network/index.js';

export interface SandboxOptions extends Omit<ContainerOptions, 'id' | 'network' | 'env' | 'labels' | 'beforeStart' | 'later'> {
  id: string;
  /** The container's host name, and the name its /etc/hosts gives its address (default: the id). */
  hostname?: string;
  /** Or made from the sandbox's address, which is known only once it is leased (CF_INSTANCE_IP). */
  env?: Record<string, string> | ((ip: string) => Record<string, string>);
  /** The same for labels (a monitored container's address, for whoever adopts it). */
  labels?: Record<string, string> | ((ip: string) => Record<string, string>);
  /**
   * A network of its own: the address is leased before the container exists (its /etc/hosts and
   * /etc/resolv.conf are bind-mounted), the veth is plugged in once the runtime created its
   * namespace: a monitored container's process starts with it; a foreground one (a task) is
   * already running, and waits for it (awaitingNetwork). Without it the sandbox has loopback only.
   */
  network?: Omit<AttachOptions, 'containerId' | 'hostname'>;
  /**
   * Things the user should know about the network (e.g. no usable nameserver), told as soon as
   * the address is leased: before the container is created.
   */
  onWarning?: (message: string) => void;
}

/** A running container with its network; `destroy` removes both and is safe to call twice. */
export interface Sandbox {
  readonly container: Container;
  readonly id: string;
  readonly pid: number;
  /** The sandbox's own address (127.0.0.1 without a network). */
  readonly ip: string;
  readonly hostPorts: HostPort[];
  destroy(): Promise<void>;
}

/**
 * The one lifecycle of a container, its network and its init, for staging, tasks and app instances:
 * lease (while the container's bundle and rootfs are made) → create → attach, and one cleanup
 * (network out first, then the container) that every failure runs, that Ctrl-C runs, and that can
 * run twice.
 */
export async function createSandbox(options: SandboxOptions): Promise<Sandbox> {
  const { network: networkOptions, env, labels, onWarning, ...containerOptions } = options;
  // One name for both: the container's uts name and what its /etc/hosts calls its address.
  const hostname = options.hostname ?? options.id.slice(0, 63);
  // The network room loads only for a sandbox that has a network.
  const network = networkOptions ? await import('../network/index.js') : undefined;
  const attach = { ...networkOptions, containerId: options.id, hostname } as AttachOptions;
  let leasing: Promise<PreparedNetwork> | undefined;
  let container: Container | undefined;
  let destroying: Promise<void> | undefined;
  const destroy = () =>
    (destroying ??= (async () => {
      try {
        // A lease still being taken (the container failed first, or a Ctrl-C came) would be
        // written after this teardown, with nothing left to remove it.
        await leasing?.catch(() => undefined);
        if (network) await network.teardownNetwork(options.id);
      } finally {
        await container?.destroy();
        // Only now: a Ctrl-C during the teardown waits for this same promise (installCleanupHandlers
        // exits once its cleanups settle), instead of exiting with the network half removed.
        forget();
      }
    })());
  // A program that exits on Ctrl-C (installCleanupHandlers) removes the network too.
  const forget = onInterrupt(() => destroy().catch(() => undefined));
  try {
    const fromIp = (ip: string) => ({ env: typeof env === 'function' ? env(ip) : env, labels: typeof labels === 'function' ? labels(ip) : labels });
    let attached: NetworkAttachment | undefined;
    const plug = async (pid: number) => void (attached = await network!.attachNetwork({ ...attach, pid }));
    // The bundle and rootfs need nothing of the lease: only the spec (env, labels, the /etc mounts)
    // waits for it. A failed create removes its container once its rootfs mount has settled;
    // destroy() waits for the lease.
    leasing = network?.prepareNetwork(attach);
    container = await createContainer({
      ...containerOptions,
      id: options.id,
      hostname,
      network: 'none',
      ...(leasing
        ? {
            later: leasing.then((prepared) => {
              for (const message of prepared.warnings) onWarning?.(message);
              return { ...fromIp(prepared.ip), mounts: prepared.mounts };
            }),
          }
        : fromIp('127.0.0.1')),
      ...(network && options.monitor ? { beforeStart: plug } : {}),
    });
    const pid = await container.pid();
    if (network && !attached) await plug(pid);
    // A monitored container outlives this process: once it runs, Ctrl-C here must not remove it.
    if (options.monitor) forget();
    return {
      container,
      id: options.id,
      pid,
      ip: attached?.ip ?? '127.0.0.1',
      hostPorts: attached?.hostPorts ?? [],
      destroy,
    };
  } catch (error) {
    await destroy().catch(() => undefined);
    throw error;
  }
}
