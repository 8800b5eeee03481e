import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A minimal rootfs for network tests and benchmarks: the host's static busybox, owned by the
 * default mapped root (host uid 1000000), built once at `root`.
 */
export async function busyboxRootfs(root: string): Promise<string> {
  if (existsSync(join(root, '.complete'))) return root;
  const temp = `${root}.${process.pid}.tmp`;
  await rm(temp, { recursive: true, force: true });
  for (const dir of ['bin', 'etc', 'tmp', 'proc', 'dev', 'sys', 'www', 'root']) await mkdir(join(temp, dir), { recursive: true });
  await copyFile('/bin/busybox', join(temp, 'bin/busybox'));
  await chmod(join(temp, 'bin/busybox'), 0o755);
  await symlink('busybox', join(temp, 'bin/sh'));
  await writeFile(join(temp, 'www/index.html'), 'hello from the container\n');
  await writeFile(join(temp, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nvcap:x:2000:2000::/home/vcap:/bin/sh\n');
  await writeFile(join(temp, '.complete'), '');
  await chmod(join(temp, 'tmp'), 0o1777);
  execFileSync('chown', ['-R', '1000000:1000000', temp]);
  await rename(temp, root).catch(async () => rm(temp, { recursive: true, force: true }));
  return root;
}
