import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import type { ContainerUser } from '../container/types.js';

interface Entry {
  name: string;
  id: number;
  gid?: number;
}

function parseDb(text: string, withGid: boolean): Entry[] {
  return text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[2]!))
    .map((f) => ({ name: f[0]!, id: Number(f[2]), ...(withGid && f[3] && /^\d+$/.test(f[3]) ? { gid: Number(f[3]) } : {}) }));
}

/** The topmost layer that has the file wins, as in the merged rootfs. */
async function readFromLayers(lowerDirs: string[], path: string): Promise<string> {
  for (const dir of [...lowerDirs].reverse()) {
    const text = await readFile(join(dir, path), 'utf8').catch(() => undefined);
    if (text !== undefined) return text;
  }
  return '';
}

/**
 * The image config's `User` (`name`, `uid`, `uid:gid`, `name:group`; empty means root, as OCI
 * says) as container ids. Names are looked up in the image's own /etc/passwd and /etc/group.
 * Root here is the mapped container root, never host root.
 */
export async function resolveImageUser(user: string | undefined, lowerDirs: string[], image: string): Promise<ContainerUser> {
  const value = (user ?? '').trim();
  if (!value) return 'root';
  const [userPart, groupPart] = value.split(':', 2) as [string, string | undefined];
  let passwd: Entry[] | undefined;
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
  } else {
    passwd = parseDb(await readFromLayers(lowerDirs, 'etc/passwd'), true);
    const entry = passwd.find((e) => e.name === userPart);
    if (!entry) {
      throw new DropshipError('IMAGE_USER', `image ${image}: user '${userPart}' of config.User is not in the image's /etc/passwd`, {
        hint: 'rebuild the image with a user that exists in it, or a numeric uid:gid',
      });
    }
    uid = entry.id;
    gid = entry.gid;
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const group = parseDb(await readFromLayers(lowerDirs, 'etc/group'), false).find((e) => e.name === groupPart);
      if (!group) {
        throw new DropshipError('IMAGE_USER', `image ${image}: group '${groupPart}' of config.User is not in the image's /etc/group`, {
          hint: 'rebuild the image with a group that exists in it, or a numeric uid:gid',
        });
      }
      gid = group.id;
    }
  }
  if (gid === undefined) {
    passwd ??= parseDb(await readFromLayers(lowerDirs, 'etc/passwd'), true);
    gid = passwd.find((e) => e.id === uid)?.gid ?? uid;
  }
  if (uid > 65535 || gid > 65535) {
    throw new DropshipError('IMAGE_USER', `image ${image}: config.User ${value} is outside the container's id range 0–65535`, {
      hint: 'rebuild the image with a user id below 65536',
    });
  }
  return { uid, gid };
}

/** The process types of a Cloud Native Buildpacks image (io.buildpacks.build.metadata), or undefined for other images. */
export function cnbProcessTypes(config: { Labels?: Record<string, string> | null }): string[] | undefined {
  const label = config.Labels?.['io.buildpacks.build.metadata'];
  if (label === undefined) return undefined;
  try {
    const processes = (JSON.parse(label) as { processes?: Array<{ type?: unknown }> }).processes;
    return Array.isArray(processes) ? processes.map((p) => String(p?.type)) : [];
  } catch {
    return [];
  }
}

/**
 * The image's process: Entrypoint + Cmd, or with `-c` the command through the Entrypoint (the
 * launcher). A Cloud Native Buildpacks image runs process type T as `/cnb/process/T` (web, when
 * the buildpacks named none so, is the Entrypoint: the default process), and a command through
 * `/cnb/lifecycle/launcher CMD` as pack and Cloud Foundry do: the launcher's shell strategy, so
 * profile.d scripts apply. Its Entrypoint is a process's link, which would take CMD as that
 * process's arguments instead.
 */
export function imageArgs(config: { Entrypoint?: string[] | null; Cmd?: string[] | null; Labels?: Record<string, string> | null }, command: string | undefined, image: string, processType?: string): string[] {
  const cnbTypes = cnbProcessTypes(config);
  if (cnbTypes !== undefined) {
    if (command !== undefined) return ['/cnb/lifecycle/launcher', command];
    if (processType !== undefined && cnbTypes.includes(processType)) return [`/cnb/process/${processType}`];
    if (processType !== undefined && processType !== 'web') {
      throw new DropshipError('NO_START_COMMAND', `image ${image} has no process type '${processType}' (it has ${cnbTypes.join(', ') || 'none'})`, {
        hint: 'give the process a command (manifest processes: command:), or build with buildpacks that define it',
      });
    }
  }
  const entrypoint = config.Entrypoint ?? [];
  if (command !== undefined) return entrypoint.length ? [...entrypoint, command] : ['/bin/sh', '-c', command];
  const args = [...entrypoint, ...(config.Cmd ?? [])];
  if (args.length === 0) {
    throw new DropshipError('NO_START_COMMAND', `image ${image} has neither Entrypoint nor Cmd`, {
      hint: 'give the start command with -c, e.g. -c "./server"',
    });
  }
  return args;
}

/**
 * A one-off command's argv (a task): through the Entrypoint, the launcher; for a Cloud Native
 * Buildpacks image through `/cnb/lifecycle/launcher`, whose Entrypoint is a process's link.
 */
export function taskArgs(config: { Entrypoint?: string[] | null; Labels?: Record<string, string> | null }, argv: string[]): string[] {
  return cnbProcessTypes(config) !== undefined ? ['/cnb/lifecycle/launcher', ...argv] : [...(config.Entrypoint ?? []), ...argv];
}

/** The port the app listens on: `-p H:C` wins, then the image's first exposed tcp port, then 8080. */
export function containerPortFor(requested: number | undefined, exposed: Record<string, unknown> | undefined): number {
  if (requested) return requested;
  for (const key of Object.keys(exposed ?? {})) {
    const match = /^(\d+)(?:\/tcp)?$/.exec(key);
    if (match) return Number(match[1]);
  }
  return 8080;
}
