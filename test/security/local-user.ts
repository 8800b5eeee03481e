import { randomBytes } from 'node:crypto';
import { execa } from 'execa';

export interface LocalUser {
  name: string;
  uid: number;
  gid: number;
  /** Run a command as this user (no supplementary groups); never rejects. */
  run(file: string, args?: string[]): Promise<{ exitCode: number; output: string }>;
  remove(): Promise<void>;
}

/**
 * A real unprivileged host user, as an attacker on the host would be: a system account with no
 * home, no user group and no subordinate ids (so /etc/subuid and /etc/subgid stay untouched).
 * The caller removes it in a finally.
 */
export async function createLocalUser(): Promise<LocalUser> {
  const name = `dsh${randomBytes(4).toString('hex')}`;
  await execa('useradd', ['--system', '--no-create-home', '--no-user-group', '--gid', 'nogroup', '--shell', '/usr/sbin/nologin', '-K', 'SUB_UID_COUNT=0', '-K', 'SUB_GID_COUNT=0', name]);
  const ids = await execa('id', [name]);
  const uid = Number(/uid=(\d+)/.exec(ids.stdout)![1]);
  const gid = Number(/gid=(\d+)/.exec(ids.stdout)![1]);
  return {
    name,
    uid,
    gid,
    async run(file, args = []) {
      // Through a shell: setpriv keeps root's capabilities until its own execve, so the path of
      // `file` would be resolved with DAC_OVERRIDE; the shell resolves it as the user alone.
      const result = await execa('setpriv', ['--reuid', String(uid), '--regid', String(gid), '--clear-groups', '--', '/bin/sh', '-c', 'exec "$0" "$@"', file, ...args], { reject: false, all: true, stdin: 'ignore' });
      return { exitCode: result.exitCode ?? -1, output: String(result.all ?? '') };
    },
    async remove() {
      await execa('userdel', [name], { reject: false });
    },
  };
}
