// Issue 10 item 12: an app name is a path segment of the store (apps/<name>, cache/<name>,
// tmp/push-<name>-…, locks). A hostile `--name` or manifest `name:` must be refused before any path
// is built from it, with an error naming where it came from. Driven through the real CLI; the
// whole tree around the store (the store included) is compared before and after, from the host.
// Failed on the code before this change: `push --name ../../../x` built the stack, then created and
// removed `<store>/../x-…` (outside the store), and every error said `--name` even for a manifest.
import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** Every path under `root` with its type, mode and size (links not followed). */
async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const s = await lstat(path);
      out.push(`${path} ${s.mode.toString(8)} ${s.isDirectory() ? '-' : s.size}`);
      if (s.isDirectory()) await walk(path);
    }
  }
  await walk(root);
  return out;
}

/**
 * A store four levels deep in a fresh tree, so that `..` climbing out of any store directory still
 * lands in a directory the test watches. The CLI's own idle writes (ps) happen before the snapshot.
 */
async function withStore(fn: (ctx: { root: string; app: string; cli: (...args: string[]) => Promise<{ exitCode: number; stderr: string }> }) => Promise<void>): Promise<void> {
  const root = await mkdtemp('/var/tmp/dropship-names-');
  const home = join(root, 'a', 'b', 'c', 'home');
  const app = join(root, 'src', 'app');
  await mkdir(home, { recursive: true });
  await mkdir(app, { recursive: true });
  await writeFile(join(app, 'index.html'), 'hello');
  const cli = async (...args: string[]) => {
    const r = await execa(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      reject: false, env: { ...process.env, DROPSHIP_HOME: home }, timeout: 120_000,
    });
    return { exitCode: r.exitCode ?? -1, stderr: String(r.stderr) };
  };
  try {
    await cli('ps');
    await fn({ root, app, cli });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The command is refused, its first error line names `source` and the tree is exactly as before. */
async function refusedWithoutTrace(ctx: { root: string; cli: (...args: string[]) => Promise<{ exitCode: number; stderr: string }> }, args: string[], source: RegExp): Promise<void> {
  const before = await snapshot(ctx.root);
  const result = await ctx.cli(...args);
  assert.is.not(result.exitCode, 0, `${args.join(' ')} exited 0`);
  const errorLine = result.stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '';
  assert.match(errorLine, source, `for ${JSON.stringify(args)}: ${result.stderr}`);
  assert.match(result.stderr, /^hint: .*letters, digits/m);
  assert.equal(await snapshot(ctx.root), before, `${JSON.stringify(args)} changed the tree`);
}

// Each CLI run costs a Node start: one name per class (climbing, absolute, nested, dot segments,
// too long for the store's prefixed names, non-ASCII, control characters, option-like, space).
const HOSTILE = ['../../../x', '/abs', 'a/b', '..', '.', 'a'.repeat(300), 'café', 'x\ny', '-rf', 'a b'];

test('push --name: every hostile name is refused naming --name, nothing written anywhere', async () => {
  await withStore(async (ctx) => {
    for (const name of HOSTILE) {
      await refusedWithoutTrace(ctx, ['push', ctx.app, '--no-manifest', '--name', name, '--no-start', '-s', 'tiny'], /^error: --name: .* app name/);
    }
  });
});

test('push from a manifest: a hostile name: is refused naming manifest.yml:LINE and the field', async () => {
  await withStore(async (ctx) => {
    // YAML double quotes carry what argv cannot: NUL, newline, escapes.
    for (const yamlName of ['"../../../x"', '"x\\0y"', '"\\u00e9t\\u00e9"', `"${'b'.repeat(64)}"`]) {
      await writeFile(join(ctx.app, 'manifest.yml'), `---\napplications:\n- memory: 64M\n  name: ${yamlName}\n`);
      await refusedWithoutTrace(ctx, ['push', ctx.app, '--no-start', '-s', 'tiny'], /^error: .*manifest\.yml:4: applications\[0\]\.name: .* app name/);
    }
    // A process type names containers and log tags of the app: a climbing one is refused before anything.
    await writeFile(join(ctx.app, 'manifest.yml'), `applications:\n- name: shop\n  processes:\n  - type: "../../x"\n`);
    await refusedWithoutTrace(ctx, ['push', ctx.app, '--no-start', '-s', 'tiny'], /^error: .*manifest\.yml:4: .*'type' must be a word like web or worker, got '\.\.\/\.\.\/x'/);
    await rm(join(ctx.app, 'manifest.yml'));
  });
});

test('push with no name: a hostile directory name is refused naming the directory, with --name as the way out', async () => {
  await withStore(async (ctx) => {
    const dir = join(ctx.root, 'src', 'my app!');
    await mkdir(dir);
    await writeFile(join(dir, 'index.html'), 'hello');
    const before = await snapshot(ctx.root);
    const result = await ctx.cli('push', dir, '--no-manifest', '--no-start', '-s', 'tiny');
    assert.is.not(result.exitCode, 0);
    assert.match(result.stderr, /^error: the app directory's name \(.*my app!\): .* app name/m);
    assert.match(result.stderr, /^hint: .*--name/m);
    assert.equal(await snapshot(ctx.root), before);
  });
});

test('stage, run, delete, logs, scale, stop, events: a hostile name is refused, nothing written', async () => {
  await withStore(async (ctx) => {
    for (const name of ['../../../x', '..']) {
      await refusedWithoutTrace(ctx, ['stage', ctx.app, '--name', name, '--stack', 'tiny'], /^error: --name: .* app name/);
      await refusedWithoutTrace(ctx, ['run', 'dropship-apps/none:latest', '--name', name], /^error: --name: .* app name/);
    }
    for (const verb of ['delete', 'logs', 'scale', 'stop', 'start', 'events']) {
      const name = '../../../x';
      await refusedWithoutTrace(ctx, verb === 'scale' ? [verb, name, '-i', '2'] : [verb, name], /^error: .* app name/);
    }
  });
});

test('the names the store accepts still work: upper case, dots, dashes, 63 characters', async () => {
  await withStore(async (ctx) => {
    for (const name of ['Shop', 'my.app_2-x', 'z'.repeat(63)]) {
      const result = await ctx.cli('logs', name, '--recent');
      // Valid, just not an app of this store: the refusal is about existence, not the name.
      assert.match(result.stderr, new RegExp(`^error: no app named '${name}'`, 'm'), result.stderr);
    }
  });
});

test.run();
