import { lstat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The veth is plugged in once the container's init runs (it needs the pid), so the command first
 * waits, up to 5 s, for the default route that comes last: its first connection must not race the
 * setup. Needs a shell in the image; `wrapForNetwork` leaves images without one as they are.
 */
export function awaitingNetwork(args: string[]): string[] {
  const wait = 'n=0; while ! grep -q "^eth0\t00000000" /proc/net/route && [ $n -lt 500 ]; do sleep 0.01; n=$((n+1)); done; exec "$@"';
  return ['/bin/sh', '-c', wait, 'dropship-await-network', ...args];
}

/** Whether `/bin/sh` exists in the rootfs made of these layers (top layer first wins, as overlay does). */
export async function hasShell(lowerDirs: string[]): Promise<boolean> {
  for (const dir of [...lowerDirs].reverse()) {
    for (const candidate of ['bin/sh', 'usr/bin/sh']) {
      if (await lstat(join(dir, candidate)).then(() => true, () => false)) return true;
    }
  }
  return false;
}

export async function wrapForNetwork(args: string[], lowerDirs: string[]): Promise<string[]> {
  return (await hasShell(lowerDirs)) ? awaitingNetwork(args) : args;
}
