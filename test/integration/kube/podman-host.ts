import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { execa } from 'execa';

const FILES = ['/etc/subuid', '/etc/subgid'];
/** podman's documented range for `--userns auto`, far above dropship's own id base (1,000,000). */
const CONTAINERS_RANGE = 'containers:2147483647:2147483648';

/** Why podman kube play cannot run here, or undefined. */
export async function podmanMissing(): Promise<string | undefined> {
  for (const [bin, pkg] of [['podman', 'podman'], ['catatonit', 'catatonit'], ['/usr/bin/docker-registry', 'docker-registry']] as const) {
    const found = await execa('sh', ['-c', `command -v ${bin}`], { reject: false });
    if (found.exitCode !== 0) return `${bin} is missing (apt-get install ${pkg})`;
  }
  return undefined;
}

export interface HostFilesBackup {
  restore(): Promise<void>;
}

/**
 * `--userns auto` takes host ids from the `containers` entries of /etc/subuid and /etc/subgid.
 * The files are saved byte for byte (and their modes) and written back as they were (or removed
 * again when there was none).
 */
export async function backupHostFiles(): Promise<HostFilesBackup> {
  const saved = await Promise.all(
    FILES.map(async (path) => {
      const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
      return { path, text, mode: text === undefined ? 0 : (await stat(path)).mode & 0o7777 };
    }),
  );
  for (const { path, text = '' } of saved) {
    if (!/^containers:/m.test(text)) await writeFile(path, `${text}${text && !text.endsWith('\n') ? '\n' : ''}${CONTAINERS_RANGE}\n`);
  }
  return {
    async restore() {
      for (const { path, text, mode } of saved) {
        if (text === undefined) {
          await rm(path, { force: true });
          continue;
        }
        await writeFile(path, text);
        await chmod(path, mode);
      }
    },
  };
}
