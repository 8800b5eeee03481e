import { access, readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { runTool } from '../util/run-tool.js';

export const APPARMOR_PROFILE_NAME = 'dropship-default';

/**
 * A profile in the spirit of garden-default / docker-default (DESIGN.md): everything ordinary
 * is allowed, the kernel's control files are not writable, mounting is refused and ptrace only
 * works between processes of this profile.
 */
export function apparmorProfileText(name: string = APPARMOR_PROFILE_NAME): string {
  return `#include <tunables/global>

profile ${name} flags=(attach_disconnected,mediate_deleted) {
  #include <abstractions/base>

  network,
  capability,
  file,
  umount,
  signal (receive) peer=unconfined,
  signal (send,receive) peer=${name},

  deny @{PROC}/* w,
  deny @{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/** w,
  deny @{PROC}/sys/[^k]** w,
  deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,
  deny @{PROC}/sysrq-trigger rwklx,
  deny @{PROC}/kcore rwklx,

  deny mount,

  deny /sys/[^f]*/** wklx,
  deny /sys/f[^s]*/** wklx,
  deny /sys/fs/[^c]*/** wklx,
  deny /sys/fs/c[^g]*/** wklx,
  deny /sys/fs/cg[^r]*/** wklx,
  deny /sys/firmware/** rwklx,
  deny /sys/kernel/security/** rwklx,

  ptrace (trace,read,tracedby,readby) peer=${name},
}
`;
}

export type AppArmorOutcome =
  | { enforced: true; profile: string }
  | { enforced: false; profile: string; reason: string };

async function withProfileFile<T>(text: string, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-apparmor-'));
  try {
    const path = join(dir, 'profile');
    await writeFile(path, text);
    return await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function parser(args: string[], text: string, step: string): Promise<void> {
  await withProfileFile(text, async (path) => {
    const result = await runTool('apparmor_parser', [...args, path]);
    if (result.failed) {
      const missing = result.code === 'ENOENT';
      throw new DropshipError('APPARMOR_PARSER', `apparmor_parser ${args.join(' ')} (${step}) failed: ${missing ? 'not installed' : (result.stderr || `exit ${result.exitCode ?? result.signal}`).trim()}`, {
        hint: missing ? 'apt-get install apparmor' : 'the generated AppArmor profile is invalid; this is a bug in dropship',
        cause: result,
      });
    }
  });
}

/** Compile the profile without loading it (`-Q -K`): a syntax check that works on any kernel. */
export async function checkProfile(text: string = apparmorProfileText()): Promise<void> {
  await parser(['-Q', '-K'], text, 'syntax check');
}

/** Why AppArmor cannot be enforced on this host, or undefined when it can. */
export async function apparmorUnavailableReason(): Promise<string | undefined> {
  const enabled = await readFile('/sys/module/apparmor/parameters/enabled', 'utf8').catch(() => '');
  if (enabled.trim() !== 'Y') return 'kernel lacks AppArmor';
  try {
    await access('/sys/kernel/security/apparmor/profiles');
  } catch {
    return 'securityfs is not mounted at /sys/kernel/security';
  }
  return undefined;
}

/**
 * Load (or replace) the profile where the kernel has AppArmor. Elsewhere nothing is loaded, and
 * runtime specs must not name the profile: runc fails to start a container whose profile the
 * kernel cannot apply.
 */
export async function loadProfile(name: string = APPARMOR_PROFILE_NAME): Promise<AppArmorOutcome> {
  const reason = await apparmorUnavailableReason();
  if (reason) return { enforced: false, profile: name, reason };
  await parser(['-r', '-W'], apparmorProfileText(name), 'load');
  return { enforced: true, profile: name };
}
