import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { DropshipError } from '../errors.js';

/** Mount points at or below `dir`, deepest first (from /proc/self/mountinfo; `\040`-style escapes decoded). */
async function mountsBelow(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const prefix = dir.replace(/\/$/, '');
  return text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((m): m is string => m !== undefined)
    .map((m) => m.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .filter((m) => m === prefix || m.startsWith(prefix + '/'))
    .sort((a, b) => b.length - a.length);
}

/**
 * Remove a stack build directory. A recipe killed halfway (debootstrap) can leave /proc, /sys or a
 * bind mount of /dev mounted inside it; a plain recursive delete would then descend into the host's
 * filesystems. So: unmount what is below first, and delete without crossing filesystems.
 */
export async function removeBuildDir(dir: string): Promise<void> {
  for (const mount of await mountsBelow(dir)) {
    await execa('umount', ['-l', mount], { reject: false });
  }
  const left = await mountsBelow(dir);
  if (left.length > 0) {
    throw new DropshipError('STACK_CLEANUP_FAILED', `cannot remove ${dir}: ${left.join(', ')} still mounted`, {
      hint: `unmount them (umount -l PATH), then remove ${dir}`,
    });
  }
  await execa('rm', ['-rf', '--one-file-system', dir]);
}
