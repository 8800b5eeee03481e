import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { runTool } from '../util/run-tool.js';
import { readInstanceStatus, requireAppSpec } from './state.js';

export interface SshOptions {
  /** Instance index (default 0). */
  index?: number;
  /** `-c CMD`: run it with `sh -c`; without it, an interactive shell. */
  command?: string;
}

/** The OCI process of a running container, as its runtime started it. */
interface ProcessSpec {
  args: string[];
  terminal?: boolean;
  [key: string]: unknown;
}

/**
 * `dropship ssh APP [-i N] [-c CMD]`, like `cf ssh`: a process inside a running instance made
 * from that instance's own OCI process (its env, user vcap, capabilities, no_new_privs, rlimits,
 * AppArmor profile) with only the arguments replaced. `runc exec` joins the instance's
 * namespaces and cgroup and applies the container's seccomp filter, so the shell is held by the
 * same walls as the app. Returns the command's exit code.
 */
export async function sshInstance(name: string, options: SshOptions = {}): Promise<number> {
  const spec = await requireAppSpec(name);
  const index = options.index ?? 0;
  const instance = (await readInstanceStatus(name)).find((i) => i.index === index);
  if (!instance || instance.state !== 'running' || !instance.containerId) {
    throw new DropshipError('INSTANCE_NOT_RUNNING', `ssh ${name}: instance ${index} is not running${instance ? ` (${instance.state})` : ''}`, {
      hint: `\`dropship ps ${spec.name}\` shows its instances; \`dropship start ${spec.name}\` starts a stopped app`,
    });
  }
  const { runtimeState, runtimeCommand } = await import('../container/index.js');
  const state = await runtimeState('runc', instance.containerId);
  if (!state || state.status !== 'running') {
    throw new DropshipError('INSTANCE_NOT_RUNNING', `ssh ${name}: the container of instance ${index} (${instance.containerId}) is not running`, {
      hint: `the supervisor restarts it; try again in a moment, or see \`dropship logs ${spec.name} --recent\``,
    });
  }
  const config = JSON.parse(await readFile(join(state.bundle, 'config.json'), 'utf8')) as { process: ProcessSpec };
  // Pipes, not a terminal: without --console-socket runc cannot hand over a pty, so an
  // interactive session is `sh -i` on the caller's stdin (no job control, no line editing).
  const process_: ProcessSpec = {
    ...config.process,
    terminal: false,
    args: options.command === undefined ? ['/bin/sh', '-i'] : ['/bin/sh', '-c', options.command],
  };
  // The process file holds the instance's env (credentials in VCAP_SERVICES): a 0700 directory.
  const dir = await mkdtemp(join(tmpdir(), 'dropship-ssh-'));
  try {
    const file = join(dir, 'process.json');
    await writeFile(file, JSON.stringify(process_), { mode: 0o600 });
    const cmd = runtimeCommand('runc', ['exec', '--process', file, instance.containerId]);
    const result = await runTool(cmd.file, cmd.args, { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit' });
    if (result.exitCode === undefined) throw new DropshipError('SSH_FAILED', `ssh ${name}: runc exec ended without an exit code`, { hint: 'run `dropship doctor`' });
    return result.exitCode;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
