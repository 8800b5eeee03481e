import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { crc32, createGzip, deflateRawSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';

/** One member of a hostile archive, as an attacker would write it. */
export interface HostileEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  mode: number;
  uid?: number;
  gid?: number;
  body?: Buffer | string;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** zip only: deflate the body (method 8), and say in both headers that it inflates to this. */
  deflatedClaiming?: number;
}

/** A real .tgz with exactly these members, in this order (tar-stream writes what it is told). */
export async function hostileTgz(path: string, entries: HostileEntry[]): Promise<string> {
  const tar = pack();
  const done = pipeline(tar, createGzip(), createWriteStream(path));
  for (const e of entries) {
    const header = {
      name: e.name, type: e.type, mode: e.mode, uid: e.uid ?? 0, gid: e.gid ?? 0,
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
      ...(e.devmajor !== undefined ? { devmajor: e.devmajor, devminor: e.devminor ?? 0 } : {}),
    } as Header;
    const body = e.type === 'file' ? Buffer.from(e.body ?? '') : Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => tar.entry(header, body, (error) => (error ? reject(error) : resolve())));
  }
  tar.finalize();
  await done;
  return path;
}

/**
 * A real .zip (stored, Unix attributes in the high 16 bits of the external attributes, as Info-ZIP
 * writes them). Written here because no zip tool writes `../` names or setuid modes on request.
 */
export function hostileZip(path: string, entries: HostileEntry[]): string {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const typeBits = e.type === 'directory' ? 0o040000 : e.type === 'symlink' ? 0o120000 : e.type === 'character-device' ? 0o020000 : 0o100000;
    const plain = Buffer.from(e.type === 'symlink' ? e.linkname ?? '' : e.body ?? '');
    const crc = crc32(plain);
    const deflated = e.deflatedClaiming !== undefined;
    const data = deflated ? deflateRawSync(plain) : plain;
    const size = deflated ? e.deflatedClaiming! : plain.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(deflated ? 20 : 10, 4);
    local.writeUInt16LE(deflated ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by Unix, so the mode bits count
    central.writeUInt16LE(deflated ? 20 : 10, 6);
    central.writeUInt16LE(deflated ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((typeBits | e.mode) * 0x10000 + (e.type === 'directory' ? 0x10 : 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  execFileSync('sh', ['-c', 'cat > "$0"', path], { input: Buffer.concat([...locals, dir, end]) });
  return path;
}

/** A minimal buildpack whose scripts are given (detect always passes, release prints a web command). */
export function buildpackScripts(compile = 'true'): HostileEntry[] {
  return [
    { name: 'bin/', type: 'directory', mode: 0o755 },
    { name: 'bin/detect', type: 'file', mode: 0o755, body: '#!/bin/sh\necho hostile\n' },
    { name: 'bin/compile', type: 'file', mode: 0o755, body: `#!/bin/bash\n${compile}\n` },
    { name: 'bin/release', type: 'file', mode: 0o755, body: '#!/bin/sh\nprintf -- "---\\ndefault_process_types:\\n  web: sleep 1\\n"\n' },
  ];
}

/** What a host must never find in a tree dropship wrote: setuid/setgid bits, devices, fifos, sockets, foreign owners. */
export async function hostViolations(root: string, owners: Array<{ uid: number; gid: number }> = [{ uid: 0, gid: 0 }]): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, rel: string) => {
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const info = await lstat(path);
      if (info.mode & 0o6000) found.push(`${r}: mode ${(info.mode & 0o7777).toString(8)}`);
      if (info.isCharacterDevice() || info.isBlockDevice() || info.isFIFO() || info.isSocket()) found.push(`${r}: special file`);
      if (!owners.some((o) => o.uid === info.uid && o.gid === info.gid)) found.push(`${r}: owner ${info.uid}:${info.gid}`);
      if (info.isDirectory()) await walk(path, r);
    }
  };
  await walk(root, '');
  return found;
}

/**
 * A real unprivileged local user for the length of `fn`, removed afterwards. No home, no own group
 * and no /etc/subuid range, so that removing it restores the host exactly.
 */
export async function withLocalUser<T>(fn: (user: { name: string; uid: number }) => Promise<T>): Promise<T> {
  const name = `dsh${randomBytes(4).toString('hex')}`;
  execFileSync('useradd', ['-M', '-N', '-s', '/bin/sh', '-K', 'SUB_UID_COUNT=0', '-K', 'SUB_GID_COUNT=0', name]);
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    return await fn({ name, uid });
  } finally {
    execFileSync('userdel', [name]);
  }
}

/** As `user`, run `file` with args: its stdout, or undefined when it could not be run. */
export function runAs(user: string, file: string, args: string[]): string | undefined {
  try {
    return execFileSync('runuser', ['-u', user, '--', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** `/usr/bin/id` as bytes, to plant as a setuid-root file: running it prints the effective uid it got. */
export function idBinary(): Buffer {
  return readFileSync('/usr/bin/id');
}

export function hasTools(...tools: string[]): string | undefined {
  for (const tool of tools) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return tool;
    }
  }
  return undefined;
}
