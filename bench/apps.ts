import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deleteApp } from '../src/apps/api.js';
import { runApp } from '../src/apps/run-request.js';
import { loadAppImage } from '../src/sandbox/image-rootfs.js';
import { BUILT, MAIN, daemonPid, dropship, firstAnswer, mb, rssBytes } from './app-helpers.js';
import { benchDaemon } from './daemon.js';
import { homePaths } from '../src/home.js';
import { defaultIdMap } from '../src/security/idmap.js';
import { ensureTestImage } from '../test/integration/app/fixture.js';
import { exec } from './exec.js';
import { median, type Row } from './row.js';

const RUNS = Number(process.env.DROPSHIP_BENCH_RUNS ?? 5);
const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * The same image's layers as one overlay and the same server script, started by a bare
 * `runc run -d` in the host's network namespace: no user namespace, seccomp, cgroup limits,
 * veth, supervisor or health check. The floor dropship's start is measured against.
 */
async function bareRuncBundle(image: string, port: number): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const { lowerDirs } = await loadAppImage(image, defaultIdMap());
  await mkdir(homePaths().tmp, { recursive: true });
  const dir = await mkdtemp(join(homePaths().tmp, 'bench-apps-'));
  for (const sub of ['rootfs', 'upper', 'work']) await mkdir(join(dir, sub));
  await exec('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${[...lowerDirs].reverse().join(':')},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`, join(dir, 'rootfs')]);
  await exec('runc', ['spec', '--bundle', dir]);
  const spec = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['/bin/sh', '/app/web.sh'];
  spec.process.env = ['PATH=/bin', `PORT=${port}`, 'INSTANCE_INDEX=0'];
  spec.root = { path: join(dir, 'rootfs'), readonly: false };
  spec.linux.namespaces = spec.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
  await writeFile(join(dir, 'config.json'), JSON.stringify(spec));
  return {
    dir,
    cleanup: async () => {
      await exec('umount', [join(dir, 'rootfs')]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `dropship run -d` as users run it (the built CLI and daemon from dist/) when built;
 * otherwise the library under tsx, whose daemon also starts under tsx (slower, and said so).
 */
async function runDetached(image: string, name: string, port: number, memory = '256M'): Promise<void> {
  if (BUILT) {
    await exec(process.execPath, [MAIN, 'run', image, '--name', name, '-d', '-p', String(port), '-m', memory, '--stop-timeout', '1']);
    return;
  }
  await runApp({ image, name, port: String(port), memory, stopTimeout: 1 });
}

/**
 * Delete as the app was made: the library's client would find the daemon dist/ started to be of
 * another build and replace it, so every run after the first would start a daemon again.
 */
async function deleteDetached(name: string): Promise<void> {
  await (BUILT ? dropship(['delete', name]) : deleteApp(name)).catch(() => undefined);
}

export async function benchApps(): Promise<Row[]> {
  const image = await ensureTestImage();
  const rows: Row[] = [];
  const barePort = 18000 + Math.floor(Math.random() * 1000);
  const bare = await bareRuncBundle(image, barePort);
  const bareTimes: number[] = [];
  try {
    for (let i = -1; i < RUNS; i++) {
      const id = `bench-apps-${randomBytes(4).toString('hex')}`;
      const start = process.hrtime.bigint();
      await exec('runc', ['run', '-d', '--bundle', bare.dir, id]);
      await firstAnswer(barePort);
      if (i >= 0) bareTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
      await exec('runc', ['delete', '-f', id]);
    }
  } finally {
    await bare.cleanup();
  }

  const ourTimes: number[] = [];
  let rssOne = 0;
  for (let i = -1; i < RUNS; i++) {
    const name = `bench-app-${randomBytes(3).toString('hex')}`;
    try {
      const port = barePort + 1 + i + 1;
      const start = process.hrtime.bigint();
      await runDetached(image, name, port);
      await firstAnswer(port);
      if (i >= 0) ourTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (i === RUNS - 1) rssOne = await rssBytes(await daemonPid());
    } finally {
      await deleteDetached(name);
    }
  }
  const ours = median(ourTimes);
  const peer = median(bareTimes);
  rows.push({
    name: 'app: run -d to first healthy HTTP answer (tiny stack, busybox httpd)',
    median_ms: round(ours),
    peer: 'bare runc run -d of the same rootfs until it answers',
    peer_median_ms: round(peer),
    ratio: Math.round((ours / peer) * 100) / 100,
    note: `${BUILT ? 'dist/cli/main.js' : 'library under tsx (run npm run build for the real CLI)'}; aim ≤ 1.5×; includes the CLI (and the daemon, started on demand when none runs), layer cache lookup, hardened container under conmon, veth, health probe, data path; daemon RSS with 1 instance ${mb(rssOne)}`,
  });

  rows.push(...(await benchDaemon(image, barePort + RUNS + 10)));
  return rows;
}
