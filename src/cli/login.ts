import type { Command } from 'commander';
import { DropshipError } from '../errors.js';

/** The password from stdin (`--password-stdin`): the whole input, one trailing newline dropped. */
export async function readPasswordStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (!password) throw new DropshipError('INVALID_OPTION', '--password-stdin: stdin was empty', { hint: "pipe the password in: echo \"$PASS\" | dropship login … --password-stdin" });
  return password;
}

/** Ask on the terminal without echoing what is typed. */
export async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new DropshipError('INVALID_OPTION', 'no password given and stdin is not a terminal', { hint: 'pass --password-stdin and pipe the password in' });
  }
  process.stderr.write(question);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  let answer = '';
  try {
    for await (const chunk of stdin) {
      for (const char of (chunk as Buffer).toString('utf8')) {
        if (char === '\r' || char === '\n') return answer;
        if (char === '\u0003') throw new DropshipError('INTERRUPTED', 'login interrupted', { exitCode: 130 });
        if (char === '\u007f') answer = answer.slice(0, -1);
        else answer += char;
      }
    }
    return answer;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

/** Credentials for a push or pull: `--username` with `--password-stdin`, else what `dropship login` saved. */
export async function credentialsFor(registry: string, flags: { username?: string; passwordStdin?: boolean }) {
  const { loadCredentials } = await import('../oci/registry/index.js');
  if (flags.passwordStdin) {
    if (!flags.username) throw new DropshipError('INVALID_OPTION', '--password-stdin needs --username', { hint: 'pass --username NAME --password-stdin' });
    return { username: flags.username, password: await readPasswordStdin() };
  }
  if (flags.username) throw new DropshipError('INVALID_OPTION', '--username needs --password-stdin', { hint: 'passwords are never taken from arguments; pipe it in with --password-stdin' });
  return loadCredentials(registry);
}

export function register(program: Command): void {
  program
    .command('login')
    .description('check and save credentials for a registry (in $DROPSHIP_HOME/auth.json, mode 0600)')
    .argument('<registry>', 'registry host[:port]')
    .option('-u, --username <name>', 'user name')
    .option('--password-stdin', 'read the password from stdin (it is never taken from arguments)')
    .option('--insecure', 'plain http (for a registry on 127.0.0.1)')
    .action(async (registry: string, flags: { username?: string; passwordStdin?: boolean; insecure?: boolean }) => {
      const { RegistryClient, saveCredentials, credentialsPath } = await import('../oci/registry/index.js');
      const credentials = flags.passwordStdin
        ? (await credentialsFor(registry, flags))!
        : { username: flags.username ?? (await promptVisible('Username: ')), password: await promptHidden('Password: ') };
      await new RegistryClient({ registry, repository: 'dropship/login', insecure: flags.insecure, credentials }).login();
      await saveCredentials(registry, credentials);
      process.stdout.write(`Login succeeded: ${registry} as ${credentials.username} (saved in ${credentialsPath()})\n`);
    });
  program
    .command('logout')
    .description('forget the saved credentials of a registry')
    .argument('<registry>', 'registry host[:port]')
    .action(async (registry: string) => {
      const { removeCredentials } = await import('../oci/registry/index.js');
      const removed = await removeCredentials(registry);
      process.stdout.write(removed ? `Removed the credentials of ${registry}\n` : `No credentials saved for ${registry}\n`);
    });
}

async function promptVisible(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}
