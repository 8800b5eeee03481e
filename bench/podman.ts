import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { exportImage, inspectImage } from '../src/oci/index.js';

/**
 * podman (Debian's) as the peer of a start-time figure, on a storage of its own under the bench
 * store, so that the host's podman images and containers are never touched; `remove` takes the
 * whole storage away again.
 */
export interface PodmanPeer {
  /** `--root … --runroot …`: this storage's flags, first on every podman command line. */
  readonly storageArgs: string[];
  /** `podman` with the storage's flags and `args`; its stdout. */
  run(args: string[]): Promise<string>;
  /** Image id (config digest) of a dropship image loaded into this storage. */
  load(nameTag: string): Promise<string>;
  /** Flags every container needs on this host (see below), after which podman's defaults apply. */
  readonly hostFlags: string[];
  remove(): Promise<void>;
}

export async function podmanMissing(): Promise<string | undefined> {
  const found = await execa('podman', ['--version'], { reject: false }).catch(() => ({ exitCode: 1 }));
  return found.exitCode === 0 ? undefined : 'podman is not installed (apt-get install podman)';
}

export async function podmanPeer(): Promise<PodmanPeer> {
  // Not under the store: podman refuses a runroot path of more than 50 characters.
  const dir = await mkdtemp('/var/tmp/dropship-podman-');
  const storage = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp')];
  const run = async (args: string[]) => (await execa('podman', [...storage, ...args])).stdout;
  return {
    storageArgs: storage,
    run,
    async load(nameTag) {
      const archive = join(dir, 'image.tar');
      await exportImage(nameTag, { ociArchive: archive });
      await run(['load', '-q', '-i', archive]);
      await rm(archive, { force: true });
      return (await inspectImage(nameTag)).configDigest.replace('sha256:', '');
    },
    // runc, as dropship: Debian's crun (podman's default) refuses this host's hybrid cgroups.
    // The host's hard RLIMIT_NOFILE/NPROC are below podman's defaults, which runc cannot raise.
    hostFlags: ['--runtime', 'runc', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096'],
    async remove() {
      await run(['rm', '--all', '--force', '--time', '0']).catch(() => undefined);
      await run(['rmi', '--all', '--force']).catch(() => undefined);
      // Storage unmounted by the removals above; what is left is plain files.
      await execa('umount', ['-R', join(dir, 'root', 'overlay')], { reject: false });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
