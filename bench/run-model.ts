import { randomBytes } from 'node:crypto';
import { cleanupContainer } from '../src/container/index.js';
import { stackLowerDirs } from '../src/sandbox/task.js';
import { defaultIdMap } from '../src/security/idmap.js';
import { hardenedBundle, runtimeRun } from './container.js';
import { exec } from './exec.js';
import { spawn } from 'node:child_process';
import { openStore } from '../src/oci/index.js';
import { commitImage } from '../src/oci/image.js';
import { ensureStack } from '../src/stack/index.js';
import { ensureTestImage } from '../test/integration/app/fixture.js';
import { BUILT, MAIN, daemonPid, dropship, firstAnswer, hostMemoryUsed, mb, rssBytes } from './app-helpers.js';
import { podmanMissing, podmanPeer, type PodmanPeer } from './podman.js';
import { comparedRow, median, timeMedian, type Row } from './row.js';

const RUNS = Number(process.env.DROPSHIP_BENCH_RUNS ?? 5);
const TASK_RUNS = Number(process.env.DROPSHIP_BENCH_TASK_RUNS ?? 9);
/** 20 by default; DROPSHIP_BENCH_INSTANCES=100 also scales to 100 (a few minutes on a busy 2-core host). */
const INSTANCES = (process.env.DROPSHIP_BENCH_INSTANCES ?? '20').split(',').map(Number);
const round = (ms: number) => Math.round(ms * 10) / 10;
const since = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const SERVED = '/index.html';

/** The tiny stack's layer alone as an image, for podman: what `run-task --stack tiny` runs on. */
async function stackImage(): Promise<string> {
  const stack = await ensureStack('tiny');
  const ref = 'dropship-bench/tiny-stack:1';
  await commitImage(openStore(), ref, [{ mediaType: stack.mediaType, digest: stack.digest, size: stack.size }], {
    architecture: 'amd64',
    os: 'linux',
    config: { User: '2000:2000', Env: ['PATH=/bin'], WorkingDir: '/home/vcap', Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: [stack.diffId] },
  });
  return ref;
}

/**
 * From spawning `command` until it has exited with 0 and the port has answered a GET with 200,
 * polling from the start: for dropship the CLI returns once the instance is healthy and in the
 * data path, for podman `run -d` returns before the app listens. Also when the command returned.
 */
async function toFirstAnswer(file: string, args: string[], port: number): Promise<{ total: number; returned: number }> {
  const start = process.hrtime.bigint();
  let returned = 0;
  const command = new Promise<void>((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      returned = since(start);
      if (code === 0) resolve();
      else reject(new Error(`${file} ${args.join(' ')}: exit ${code}: ${stderr.trim()}`));
    });
  });
  await Promise.all([command, firstAnswer(port, 60_000, SERVED)]);
  return { total: since(start), returned };
}

/**
 * (1) `dropship run -d` to the first answer on its host port, against `podman run -d` of the
 * same image (exported from the store, `podman load`) with host networking: podman's cheapest
 * start (no namespace, veth or firewall rules, nothing changed on the host), the app told to
 * listen on 127.0.0.1 only. dropship's instance has its own network namespace, veth and DNAT.
 */
async function runDetached(podman: PodmanPeer, image: string, podmanImage: string, basePort: number): Promise<Row> {
  const ours: number[] = [];
  const oursReturned: number[] = [];
  const peer: number[] = [];
  // Alternating, so that the load of a busy host weighs on both alike; the first round is untimed
  // (it starts the store's daemon, and warms podman's storage).
  for (let i = -1; i < RUNS; i++) {
    const port = basePort + 2 * (i + 1);
    const name = `bench-run-${randomBytes(3).toString('hex')}`;
    try {
      const t = await toFirstAnswer(process.execPath, [MAIN, 'run', image, '--name', name, '-d', '-p', String(port), '--stop-timeout', '1'], port);
      if (i >= 0) ours.push(t.total), oursReturned.push(t.returned);
    } finally {
      await dropship(['delete', name]).catch(() => undefined);
    }
    const peerName = `${name}-podman`;
    const peerPort = port + 1;
    try {
      const args = [...podman.storageArgs, 'run', '-d', '--name', peerName, ...podman.hostFlags, '--network', 'host', '-e', `PORT=127.0.0.1:${peerPort}`, podmanImage];
      const t = await toFirstAnswer('podman', args, peerPort);
      if (i >= 0) peer.push(t.total);
    } finally {
      await podman.run(['rm', '--force', '--time', '0', peerName]).catch(() => undefined);
    }
  }
  return comparedRow('`dropship run -d` to first HTTP answer (tiny stack, busybox httpd)', ours, '`podman run -d --network host` of the same image', peer,
    `aim ≤ 0.7×; dist/cli/main.js with the store's daemon running; the CLI returned after ${round(median(oursReturned))} ms (instance healthy and in the data path); GET ${SERVED} polled every 5 ms from the start`);
}

/**
 * (2) A `true` task through the installed CLI on the tiny stack, against `podman run --rm` of
 * the stack's layer as an image with `--network none`: loopback only, as a dropship task has.
 */
async function oneOffTask(podman: PodmanPeer, podmanImage: string): Promise<Row> {
  const ours: number[] = [];
  const peer: number[] = [];
  const time = async (fn: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    await fn();
    return since(start);
  };
  for (let i = -1; i < TASK_RUNS; i++) {
    const a = await time(() => dropship(['run-task', '--stack', 'tiny', '--', 'true']));
    const b = await time(() => podman.run(['run', '--rm', ...podman.hostFlags, '--network', 'none', podmanImage, 'true']));
    if (i >= 0) ours.push(a), peer.push(b);
  }
  return comparedRow('`dropship run-task --stack tiny -- true` (installed CLI)', ours, '`podman run --rm --network none IMAGE true`', peer,
    'aim ≤ 0.7×; IMAGE is the tiny stack\'s layer, user 2000 as a vcap task; dropship adds a user namespace and 1G memory limit');
}

/**
 * (2b) What no CLI written for Node that starts runc can go below, measured beside podman's task:
 * Node's own start (`node -e 0`) plus bare `runc run` of dropship's hardened bundle (`true`, its
 * rootfs mounted beforehand, nothing of dropship's own). `run -d` needs at least the same, plus the
 * network and the app's own start.
 */
async function floor(podman: PodmanPeer, podmanImage: string, podmanRunDetached: number): Promise<Row> {
  const bundle = await hardenedBundle(await stackLowerDirs('tiny', defaultIdMap()));
  try {
    const node = await timeMedian(() => exec('node', ['-e', '0']), TASK_RUNS);
    const runc = await timeMedian(() => runtimeRun('runc', bundle.dir), TASK_RUNS);
    const peer = await timeMedian(() => podman.run(['run', '--rm', ...podman.hostFlags, '--network', 'none', podmanImage, 'true']), TASK_RUNS);
    return comparedRow('floor: `node -e 0` + bare `runc run` of the hardened bundle', [node + runc], '`podman run --rm --network none IMAGE true`', [peer],
      `node -e 0 ${round(node)} ms + runc run ${round(runc)} ms: a Node CLI that starts runc is at this ratio before doing anything of its own; 0.7× of podman's task is ${round(0.7 * peer)} ms, 0.7× of its \`run -d\` to first answer (row 1) ${round(0.7 * podmanRunDetached)} ms`);
  } finally {
    await cleanupContainer(bundle.id);
  }
}

/** (3) A fresh daemon's RSS with 20 (and, opted in, 100) idle instances of one app (32M each). */
async function daemonRss(image: string, port: number): Promise<Row[]> {
  const rows: Row[] = [];
  const name = `bench-rss-${randomBytes(3).toString('hex')}`;
  try {
    // A fresh daemon: one that ran the rows above (or an earlier bench) keeps the heap it grew.
    await dropship(['daemon', 'stop']);
    await dropship(['run', image, '--name', name, '-d', '-p', String(port), '-m', '32M', '-k', '64M', '--stop-timeout', '1']);
    const pid = await daemonPid();
    const one = await rssBytes(pid);
    let previous = 1;
    for (const count of INSTANCES) {
      const usedBefore = await hostMemoryUsed();
      const start = process.hrtime.bigint();
      await dropship(['scale', name, '-i', String(count)]);
      const took = since(start);
      const rss = await rssBytes(pid);
      rows.push({
        name: `daemon RSS with ${count} instances (scale ${previous} → ${count} until all healthy)`,
        median_ms: round(took),
        note: `RSS ${mb(rss)} (${mb(one)} with 1 instance, ${((rss - one) / (count - 1) / 1024 / 1024).toFixed(2)} MB per instance); aim ≤ 150 MB at 100; host memory in use grew ${mb((await hostMemoryUsed()) - usedBefore)}; one run`,
      });
      previous = count;
    }
  } finally {
    await dropship(['delete', name]).catch(() => undefined);
  }
  return rows;
}

/**
 * The run model's figures, side by side in one run: start to first answer and a one-off task
 * against podman, and the daemon's memory with many instances.
 */
export async function benchRunModel(): Promise<Row[]> {
  if (!BUILT) throw new Error('dist/ is missing or old: run `npm run build` first (these figures are of the installed CLI)');
  const missing = await podmanMissing();
  if (missing) throw new Error(missing);
  const image = await ensureTestImage();
  const task = await stackImage();
  const podman = await podmanPeer();
  const basePort = 19000 + Math.floor(Math.random() * 500) * 2;
  try {
    const [appImage, taskImage] = [await podman.load(image), await podman.load(task)];
    const detached = await runDetached(podman, image, appImage, basePort);
    return [
      detached,
      await oneOffTask(podman, taskImage),
      await floor(podman, taskImage, detached.peer_median_ms!),
      ...(await daemonRss(image, basePort + 2 * RUNS + 10)),
    ];
  } finally {
    await podman.remove();
  }
}
