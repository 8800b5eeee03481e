import '../helpers/env.js';
import { chmod, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createContainer, containerLeftovers, type Container, type ContainerOptions, type ExitInfo } from '../../src/container/index.js';
import { launcherScript } from '../../src/oci/launcher.js';
import { isRoot } from '../helpers/env.js';
import { tinyLowerDirs } from '../integration/container/tiny.js';

/**
 * Without an init these never end (pid 1 ignores signals it has no handler for), so a bound
 * keeps a regression from hanging the suite: it fails the test instead, it measures nothing.
 */
async function ends(c: Container, what: string): Promise<ExitInfo> {
  let guard: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (guard = setTimeout(() => resolve('hung'), 60_000)));
  const outcome = await Promise.race([c.wait(), hung]);
  clearTimeout(guard);
  if (outcome === 'hung') {
    await c.kill('SIGKILL');
    assert.unreachable(`${what} never ended`);
  }
  return outcome as ExitInfo;
}

async function withContainer(options: Partial<ContainerOptions>, fn: (c: Container) => Promise<void>): Promise<void> {
  const c = await createContainer({ lowerDirs: await tinyLowerDirs(), args: ['/bin/sleep', '600'], ...options });
  try {
    await fn(c);
  } finally {
    await c.destroy();
    assert.equal(await containerLeftovers(c.id), []);
  }
}

async function status(pid: number): Promise<Record<string, string>> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  return Object.fromEntries(text.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
}

/** Host pid of the process that has pid `nsPid` in the container whose init is `initPid`. */
async function hostPidOf(initPid: number, nsPid: number): Promise<number | undefined> {
  const ns = await readlink(`/proc/${initPid}/ns/pid`);
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const theirs = await readlink(`/proc/${name}/ns/pid`).catch(() => '');
    if (theirs !== ns) continue;
    const nspid = (await status(Number(name)).catch(() => ({}) as Record<string, string>)).NSpid?.split(/\s+/);
    if (nspid?.at(-1) === String(nsPid)) return Number(name);
  }
  return undefined;
}

const skip = () => console.log('  (skipped: needs root to run containers)');

test('pid 1 of every container is tini, bound read-only from the host', async () => {
  if (!isRoot) return skip();
  await withContainer({}, async (c) => {
    const pid = await c.pid();
    // An exec'd process has run, so the container's first process is past `runc init`.
    await c.exec(['/bin/true']);
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
    assert.equal(cmdline, ['/dev/init', '-s', '-g', '--', '/bin/sleep', '600']);
    const child = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(' ').map(Number);
    assert.equal((await readFile(`/proc/${child[0]}/cmdline`, 'utf8')).split('\0').filter(Boolean), ['/bin/sleep', '600'], 'the command is its child');
    let out = '';
    await c.exec(['/bin/sh', '-c', 'grep " /dev/init " /proc/self/mounts; echo x > /dev/init || echo read-only'], { user: 'root', onStdout: (b) => (out += b), onStderr: (b) => (out += b) });
    assert.match(out, /\/dev\/init \S+ ro,nosuid,nodev/);
    assert.match(out, /read-only/);
  });
});

test('timeout 3 httpd -f ends: the signal reaches httpd, which is not pid 1', async () => {
  if (!isRoot) return skip();
  await withContainer({ args: ['/bin/timeout', '3', '/bin/httpd', '-f', '-p', '8080'] }, async (c) => {
    const exit = await ends(c, 'timeout 3 httpd -f');
    assert.is.not(exit.exitCode, 0, `httpd was stopped by timeout (exit ${exit.exitCode})`);
  });
});

test('SIGTERM stops an app that has no handler for it', async () => {
  if (!isRoot) return skip();
  await withContainer({}, async (c) => {
    // Once an exec has run, the first process is tini, not `runc init` (which drops signals).
    await c.exec(['/bin/true']);
    await c.kill('SIGTERM');
    const exit = await ends(c, 'sleep after SIGTERM');
    assert.is(exit.signal, 'SIGTERM');
    assert.is(exit.exitCode, 143);
  });
});

test("an orphan's zombie is reaped", async () => {
  if (!isRoot) return skip();
  await withContainer({}, async (c) => {
    // The exec'd shell leaves a child behind that the kernel re-parents to the container's pid 1.
    let out = '';
    // Its stdio goes elsewhere, or exec would wait for the orphan to close the output pipe.
    await c.exec(['/bin/sh', '-c', 'sleep 2 </dev/null >/dev/null 2>&1 & echo $!'], { onStdout: (b) => (out += b) });
    const orphan = await hostPidOf(await c.pid(), Number(out.trim()));
    assert.ok(orphan !== undefined, `the orphan (pid ${out.trim()} in the container) is found from the host`);
    assert.is((await status(orphan)).PPid, String(await c.pid()), 'the orphan now belongs to tini');
    let state: string | undefined = 'S';
    for (let i = 0; i < 100 && state !== undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await status(orphan).catch(() => undefined))?.State;
    }
    assert.is(state, undefined, `the orphan is still there (${state}): nobody reaped it`);
  });
});

test('the image launcher still starts the app when it is not pid 1', async () => {
  if (!isRoot) return skip();
  const dir = await mkdtemp('/var/tmp/dropship-harden-launcher-');
  try {
    await chmod(dir, 0o755);
    await writeFile(join(dir, 'launcher'), launcherScript(), { mode: 0o755 });
    await mkdir(join(dir, 'app'), { mode: 0o755 });
    let out = '';
    await withContainer(
      {
        args: ['/lifecycle/launcher', 'echo "pid=$$ ppid=$PPID cwd=$(pwd) port=$PORT"; exit 7'],
        mounts: [
          { source: join(dir, 'launcher'), destination: '/lifecycle/launcher', readonly: true },
          { source: join(dir, 'app'), destination: '/home/vcap/app', readonly: true },
        ],
        onStdout: (b) => (out += b),
        onStderr: (b) => (out += b),
      },
      async (c) => {
        const exit = await ends(c, 'the launcher');
        assert.is(exit.exitCode, 7, `the app's exit status comes through (${out})`);
        const [, pid] = /^pid=(\d+) ppid=1 cwd=\/home\/vcap\/app port=8080$/m.exec(out) ?? [];
        assert.ok(pid && pid !== '1', `the launcher execs the app as a child of tini: ${out}`);
      },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
