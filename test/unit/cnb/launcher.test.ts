// The CNB launcher script, run by the host's /bin/sh (dash) and by busybox's sh and awk (the
// tiny stack's), against a layers tree in a temp dir. Adversarial inputs are asserted from the
// host: marker files that must not appear, values that must arrive byte for byte.
import { access, chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { launcherScript, processDefinition } from '../../../src/cnb/launcher.js';

let root: string;
let layers: string;
let app: string;
let lifecycle: string;
let busyboxBin: string | undefined;

async function put(path: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content, { mode });
}
const exe = (path: string, body: string) => put(path, `#!/bin/sh\n${body}\n`, 0o755);
const exists = (path: string) => access(path).then(() => true, () => false);

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dropship-cnb-launcher-'));
  layers = join(root, 'layers');
  app = join(root, 'workspace');
  lifecycle = join(root, 'cnb/lifecycle');
  await mkdir(app, { recursive: true });
  await put(join(lifecycle, 'order'), 'bp_one\nbp_two\n');
  await put(join(lifecycle, 'processes/web'), processDefinition({ type: 'web', command: ['printf', '<%s>'], args: ['default', 'args'], default: true }));
  await put(join(lifecycle, 'processes/worker'), processDefinition({ type: 'worker', command: ['sh', '-c', 'printf "%s|%s|%s" "$ORDER" "$TYPED" "$(pwd)"'], args: [], default: false, workingDir: '/' }));
  await put(join(lifecycle, 'launcher'), launcherScript().replaceAll('/cnb/lifecycle', lifecycle), 0o755);
  const bin = join(root, 'cnb/process');
  await mkdir(bin, { recursive: true });
  for (const t of ['web', 'worker']) await symlink('../lifecycle/launcher', join(bin, t));

  // profile.d: bp_one's layers a and b, bp_two's layer a; a per-process dir that is never sourced
  // (the shell strategy runs user commands, which have no type).
  await put(join(layers, 'bp_one/b/profile.d/1.sh'), 'export ORDER="$ORDER,one/b/1"\n');
  await put(join(layers, 'bp_one/a/profile.d/2.sh'), 'export ORDER="$ORDER,one/a/2"\n');
  await put(join(layers, 'bp_one/a/profile.d/1.sh'), 'export ORDER="$ORDER,one/a/1"\nset -- clobbered\n');
  await put(join(layers, 'bp_two/a/profile.d/1.sh'), 'export ORDER="$ORDER,two/a/1"\n');
  await put(join(layers, 'bp_two/a/profile.d/web/1.sh'), 'export ORDER="$ORDER,typed"\n');
  // A name with a newline and shell text: sourced as the file it is, its name never run.
  await put(join(layers, 'bp_two/a/profile.d/2\n$(touch ${MARK}-name).sh'), 'export ORDER="$ORDER,two/a/odd"\n');
  await put(join(app, '.profile'), 'export ORDER="$ORDER,.profile"\n');

  // env before exec.d: bp_one/a's exec.d sees bp_two's env file; exec.d/<process> after every exec.d.
  await put(join(layers, 'bp_two/a/env.launch/FROM_ENV'), 'env-file');
  await exe(join(layers, 'bp_one/a/exec.d/10-seen'), 'printf \'SEEN = "%s@%s"\\n\' "$FROM_ENV" "$(pwd)" >&3');
  await exe(join(layers, 'bp_two/a/exec.d/20-general'), 'printf \'TYPED = "general"\\n\' >&3');
  await exe(join(layers, 'bp_one/a/exec.d/worker/30-typed'), 'printf \'TYPED = "typed:%s"\\n\' "$TYPED" >&3');

  const busybox = ['/usr/bin/busybox', '/bin/busybox'];
  for (const b of busybox) {
    if (!(await exists(b))) continue;
    busyboxBin = join(root, 'busybox-bin');
    await mkdir(busyboxBin);
    for (const applet of ['sh', 'awk', 'cat', 'mktemp', 'rm', 'mkdir', 'printf', 'pwd', 'touch']) await symlink(b, join(busyboxBin, applet));
    break;
  }
});

test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Run { exitCode: number | undefined; stdout: string; stderr: string }

/** Runs argv[0] (a path under the root) with the host's sh, or with busybox's tools first on PATH. */
async function launch(argv: string[], env: Record<string, string> = {}, shell: 'dash' | 'busybox' = 'dash'): Promise<Run> {
  const PATH = shell === 'busybox' ? `${busyboxBin}:/usr/bin:/bin` : '/usr/bin:/bin';
  const [path, ...args] = argv;
  const sh = shell === 'busybox' ? join(busyboxBin!, 'sh') : '/bin/sh';
  const r = await execa(sh, ['-c', '. "$0"', path!, ...args], {
    env: { PATH, CNB_LAYERS_DIR: layers, CNB_APP_DIR: app, MARK: join(root, 'pwned'), ...env }, extendEnv: false, reject: false, cwd: '/',
  });
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}
const launcher = () => join(lifecycle, 'launcher');
const proc = (t: string) => join(root, 'cnb/process', t);

for (const shell of ['dash', 'busybox'] as const) {
  const name = (s: string) => `${shell}: ${s}`;

  test(name('platform.md "launcher": a single-string command runs through the shell after profile.d (build order, layers and files by name) and .profile'), async () => {
    if (shell === 'busybox' && !busyboxBin) { console.log('skip: no busybox on this host'); return; }
    const r = await launch([launcher(), 'printf "%s|%s" "$ORDER" "$(pwd)"'], {}, shell);
    assert.is(r.exitCode, 0, r.stderr);
    assert.is(r.stdout, `,one/a/1,one/a/2,one/b/1,two/a/1,two/a/odd,.profile|${app}`);
    assert.not.ok(await exists(join(root, 'pwned-name')), 'a profile.d file name was run as shell code');
  });

  test(name('platform.md "launcher": several words without -- are the shell strategy too; a profile\'s `set --` leaves them alone'), async () => {
    if (shell === 'busybox' && !busyboxBin) return;
    const r = await launch([launcher(), 'sh', '-c', 'printf "%s" "$ORDER"'], {}, shell);
    assert.is(r.exitCode, 0, r.stderr);
    assert.is(r.stdout, ',one/a/1,one/a/2,one/b/1,two/a/1,two/a/odd,.profile');
  });

  test(name('platform.md "launcher": `--` and buildpack processes (Buildpack API >= 0.9: direct) source no profile.d'), async () => {
    if (shell === 'busybox' && !busyboxBin) return;
    const direct = await launch([launcher(), '--', 'sh', '-c', 'printf "[%s]" "${ORDER-unset}"'], {}, shell);
    assert.is(direct.stdout, '[unset]', direct.stderr);
    const worker = await launch([proc('worker')], {}, shell);
    assert.is(worker.exitCode, 0, worker.stderr);
    assert.is(worker.stdout, '|typed:general|/', 'no profile.d, exec.d/<process> after every exec.d, working-dir');
  });

  test(name('platform.md "launcher": user arguments replace a process\'s default args, never its command'), async () => {
    if (shell === 'busybox' && !busyboxBin) return;
    assert.is((await launch([proc('web')], {}, shell)).stdout, '<default><args>');
    assert.is((await launch([proc('web'), 'x y', '$HOME'], {}, shell)).stdout, '<x y><$HOME>');
  });

  test(name('platform.md "launcher" Execution: env files of every layer apply before any exec.d runs, from the app dir'), async () => {
    if (shell === 'busybox' && !busyboxBin) return;
    const r = await launch([launcher(), '--', 'sh', '-c', 'printf "%s" "$SEEN"'], {}, shell);
    assert.is(r.stdout, `env-file@${app}`, r.stderr);
  });
}

/** A launch of `--` + a printer, with one extra exec.d program writing `output` to fd 3. */
async function withExecD(output: string, run: (r: Run, path: string) => void | Promise<void>, shell: 'dash' | 'busybox' = 'dash'): Promise<void> {
  const dir = join(layers, 'bp_two/z/exec.d');
  const path = join(dir, 'evil');
  await mkdir(dir, { recursive: true });
  await writeFile(join(root, 'output'), output);
  await exe(path, `cat '${join(root, 'output')}' >&3`);
  try {
    await run(await launch([launcher(), '--', 'sh', '-c', 'for n in A B C; do eval "v=\\${$n-unset}"; printf "%s=<%s>\\n" "$n" "$v"; done'], {}, shell), path);
  } finally {
    await rm(join(layers, 'bp_two/z'), { recursive: true, force: true });
  }
}

test('buildpack.md "Exec.d Output (TOML)": shell text and escaped newlines arrive as bytes, never as code or extra variables', async () => {
  for (const shell of ['dash', 'busybox'] as const) {
    if (shell === 'busybox' && !busyboxBin) continue;
    const evil = 'A = "$(touch ${MARK}-a)`touch ${MARK}-b`' + String.raw`; x\nB=oops \"q\" \\ \t|"` + '\n' + String.raw`B = "caf\u00e9 \U0001F600" # a comment` + '\n\n# only a comment\n';
    await withExecD(evil, async (r) => {
      assert.is(r.exitCode, 0, r.stderr);
      assert.is(r.stdout, 'A=<$(touch ${MARK}-a)`touch ${MARK}-b`; x\nB=oops "q" \\ \t|>\nB=<café 😀>\nC=<unset>', shell);
    }, shell);
    assert.is((await readdir(root)).filter((f) => f.startsWith('pwned')).length, 0, 'exec.d output was evaluated');
  }
});

test('buildpack.md "Exec.d Output (TOML)": malformed output stops the launch, exit 83, naming the file and line', async () => {
  const cases: Array<[string, RegExp]> = [
    ['A = "x\nB = "y"\n', /output line 1: the value of A has no closing quote/],
    ['A = 1\n', /output line 1: the value of A is not a basic string/],
    ["A = 'literal'\n", /the value of A is not a basic string/],
    ['[table]\n', /output line 1: expected NAME = "value"/],
    ['"A" = "x"\n', /expected NAME = "value"/],
    ['A.b = "x"\n', /expected = after A/],
    ['1A = "x"\n', /1A is not an environment variable name/],
    ['A-B = "x"\n', /A-B is not an environment variable name/],
    ['A = "x"\nA = "y"\n', /output line 2: A is set twice/],
    ['A = "x" B = "y"\n', /text after the value of A/],
    ['A = "\\q"\n', /bad escape \\q in the value of A/],
    ['A = "\\u00zz"\n', /bad \\u escape/],
    ['A = "\\u0000"\n', /\\u escape of an invalid character/],
    ['A = "a\u0001b"\n', /raw control character/],
  ];
  for (const [output, message] of cases) {
    await withExecD(output, (r, path) => {
      assert.is(r.exitCode, 83, `${JSON.stringify(output)}: ${r.stdout}`);
      assert.is(r.stdout, '', 'the command ran');
      assert.ok(r.stderr.startsWith(`launcher: exec.d: ${path}: `), r.stderr);
      assert.match(r.stderr, message);
    });
  }
});

test('buildpack.md "Exec.d": a failing or non-executable exec.d file stops the launch, exit 83', async () => {
  const dir = join(layers, 'bp_two/z/exec.d');
  try {
    await exe(join(dir, 'fails'), 'exit 7');
    let r = await launch([launcher(), '--', 'true']);
    assert.is(r.exitCode, 83);
    assert.is(r.stderr, `launcher: exec.d: ${join(dir, 'fails')} failed (exit status 7)`);
    await rm(join(dir, 'fails'));
    await put(join(dir, 'plain'), 'A = "x"\n');
    await chmod(join(dir, 'plain'), 0o644);
    r = await launch([launcher(), '--', 'true']);
    assert.is(r.exitCode, 83);
    assert.is(r.stderr, `launcher: exec.d: ${join(dir, 'plain')} is not executable`);
  } finally {
    await rm(join(layers, 'bp_two/z'), { recursive: true, force: true });
  }
});

test('no command, or an unknown process type: exit 82', async () => {
  assert.is((await launch([launcher()])).exitCode, 82);
  assert.is((await launch([launcher(), '--'])).exitCode, 82);
  await symlink('../lifecycle/launcher', proc('nope'));
  const r = await launch([proc('nope')]);
  assert.is(r.exitCode, 82);
  assert.is(r.stderr, "launcher: no process type 'nope'");
});

test.run();
