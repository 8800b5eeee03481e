import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { runTool } from '../util/run-tool.js';
import { askApp, supervisorState } from './daemon-client.js';
import { findProcess, instanceProcess, mainProcess, readInstanceStatus, requireAppSpec, type InstanceStatus } from './state.js';

export interface SshOptions {
  /** Process type (default web). */
  process?: string;
  /** Instance index (default 0). */
  index?: number;
  /** `-c CMD`: run it with `sh -c`; without it, an interactive shell. */
  command?: string;
  /**
   * A terminal inside the instance: the caller's stdin is one (the CLI decides, `-T` turns it
   * off). Without it the process gets the caller's stdio as pipes.
   */
  tty?: boolean;
}

/** The OCI process of a running container, as its runtime started it. */
interface ProcessSpec {
  args: string[];
  terminal?: boolean;
  [key: string]: unknown;
}

/**
 * `dropship ssh APP [--process TYPE] [-i N] [-c CMD]`, like `cf ssh`: a process inside a running instance made
 * from that instance's own OCI process (its env, user vcap, capabilities, no_new_privs, rlimits,
 * AppArmor profile) with only the arguments replaced. `runc exec` joins the instance's
 * namespaces and cgroup and applies the container's seccomp filter, so the shell is held by the
 * same walls as the app. Returns the command's exit code.
 */
export async function sshInstance(name: string, options: SshOptions = {}): Promise<number> {
  const spec = await requireAppSpec(name);
  const index = options.index ?? 0;
  const type = findProcess(spec, options.process ?? mainProcess(spec).type).type;
  // The daemon's own view: status.json is written a moment after a change (an instance that
  // just became healthy may still read as starting there).
  const started = (await supervisorState(name)).kind === 'running';
  const instances = started ? (await askApp<{ instances: InstanceStatus[] }>(name, { op: 'status' })).instances : await readInstanceStatus(name);
  const instance = instances.find((i) => i.index === index && instanceProcess(spec, i) === type);
  if (!instance || instance.state !== 'running' || !instance.containerId) {
    throw new DropshipError('INSTANCE_NOT_RUNNING', `ssh ${name}: ${type} instance ${index} is not running${instance ? ` (${instance.state})` : ''}`, {
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
  const config = JSON.parse(await readFile(join(state.bundle, 'config.json'), 'utf8')) as { process: ProcessSpec & { env?: string[] } };
  const tty = options.tty ?? false;
  // With a terminal, runc in the foreground (no --detach) makes the pty inside the container,
  // receives its master over its own console socket, puts our terminal in raw mode, copies
  // both ways and passes on SIGWINCH: what --console-socket would make us do, done by the one
  // process that can receive a descriptor (Node cannot take SCM_RIGHTS; conmon's exec attach
  // socket is SOCK_SEQPACKET, which Node cannot speak either). Without one: pipes, `sh -i`.
  const env = config.process.env ?? [];
  const term = process.env.TERM;
  const process_: ProcessSpec = {
    ...config.process,
    terminal: tty,
    // The caller's TERM, as ssh passes it: the instance's env has none, and a shell needs it to edit lines.
    env: tty && term && /^[\w.+-]+$/.test(term) ? [...env.filter((e) => !e.startsWith('TERM=')), `TERM=${term}`] : env,
    args: options.command !== undefined ? ['/bin/sh', '-c', options.command] : tty ? ['/bin/sh'] : ['/bin/sh', '-i'],
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
