import '../../helpers/env.js';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isRoot, uniqueName } from '../../helpers/env.js';
import { ensureTestImage } from './fixture.js';
import { dropship, removeApp } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const app = uniqueName('af-tty');
let ready = false;
let setup = '';
let hasScript = false;

/**
 * `dropship ssh …` on a real terminal: util-linux `script` gives the CLI a pty as stdin, stdout
 * and stderr, writes what we pipe in to it as typed keys, and exits with the CLI's exit code.
 */
async function onTerminal(input: string, ...args: string[]): Promise<{ exitCode: number; output: string }> {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, '--import', 'tsx', MAIN, 'ssh', ...args].map(quote).join(' ');
  const result = await execa('script', ['-qec', command, '/dev/null'], { input, reject: false, env: { ...process.env, TERM: 'xterm' }, timeout: 120_000 });
  return { exitCode: result.exitCode ?? -1, output: String(result.stdout).replace(/\r/g, '') };
}

const sshTemps = async () => (await readdir(tmpdir())).filter((e) => e.startsWith('dropship-ssh-'));

test.before(async () => {
  hasScript = (await execa('script', ['--version'], { reject: false })).exitCode === 0;
  if (!isRoot || !hasScript) return;
  const run = await dropship('run', await ensureTestImage(), '--name', app, '-d', '-m', '64');
  ready = run.exitCode === 0;
  setup = `${run.stdout}\n${run.stderr}`;
});
test.after(async () => {
  await removeApp(app);
});

test('an interactive ssh gets a terminal inside the instance, with the same walls as the app; exit passes through', async () => {
  if (!isRoot || !hasScript) return console.log('skip: needs root for runc and util-linux script for a pty');
  assert.ok(ready, `dropship run failed: ${setup}`);
  const before = await sshTemps();
  // Each answer is built by the shell, so the echo of the typed line cannot match it.
  const typed = [
    'tty',
    'echo "term-$TERM"',
    'grep -E "^(Uid|CapEff|NoNewPrivs|Seccomp):" /proc/self/status',
    '[ "$(grep memory /proc/self/cgroup)" = "$(grep memory /proc/1/cgroup)" ] && echo "same""-cgroup"',
    'exit 3',
  ].join('\n');
  const session = await onTerminal(`${typed}\n`, app);
  assert.is(session.exitCode, 3, session.output);
  const lines = session.output.split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
  assert.ok(lines.some((l) => /^\/dev\/pts\/\d+$/.test(l)), `tty names a pty:\n${session.output}`);
  for (const expected of ['term-xterm', 'Uid: 2000 2000 2000 2000', 'CapEff: 0000000000000000', 'NoNewPrivs: 1', 'Seccomp: 2', 'same-cgroup']) {
    assert.ok(lines.includes(expected), `${expected}:\n${session.output}`);
  }
  assert.ok(lines.some((l) => l.endsWith('$ tty')), 'an interactive shell prompts');
  assert.equal(await sshTemps(), before, 'the process file with the env is removed');
});

test('-c on a terminal runs on a pty too; -T and a piped stdin give pipes; exit codes pass through', async () => {
  if (!ready) return console.log('skip: needs root for runc and util-linux script for a pty');
  const command = await onTerminal('', app, '-c', 'tty; exit 4');
  assert.is(command.exitCode, 4, command.output);
  // script echoes the end of its (empty) input as ^@ before the first line: not ours.
  assert.match(command.output, /^(\^@)?\/dev\/pts\/\d+$/m);
  const pipes = await onTerminal('', app, '-T', '-c', 'tty; exit 5');
  assert.is(pipes.exitCode, 5, pipes.output);
  assert.match(pipes.output, /^(\^@)?not a tty$/m);
  const piped = await dropship('ssh', app, '-c', 'tty; exit 6');
  assert.is(piped.exitCode, 6, piped.stderr);
  assert.is(piped.stdout.trim(), 'not a tty', 'stdin not a terminal: pipes, as before');
});

test.run();
