import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTask, stackLowerDirs } from '../src/sandbox/task.js';
import { buildSpec, cleanupContainer, createContainer, newContainerId, normalizeContainerOptions, runtimeCommand, type OciSpec, type RuntimeName } from '../src/container/index.js';
import { cgroupsPathFor } from '../src/container/cgroups.js';
import { createBundle } from '../src/container/bundle.js';
import { mountRootfs, rootfsPath } from '../src/container/rootfs.js';
import { homePaths } from '../src/home.js';
import { defaultIdMap, hostGid } from '../src/security/idmap.js';
import { exec } from './exec.js';
import { measure, median, timeMedian, type Row } from './row.js';

/** Container starts are short and noisy: more runs than the layer figures need. */
const RUNS = Number(process.env.DROPSHIP_BENCH_CONTAINER_RUNS ?? 15);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const round = (ms: number) => Math.round(ms * 10) / 10;
const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${round(ms)}`;

function row(name: string, ours: number, peer?: { name: string; ms: number }, note?: string): Row {
  return {
    name,
    median_ms: round(ours),
    ...(peer ? { peer: peer.name, peer_median_ms: round(peer.ms), ratio: Math.round((ours / peer.ms) * 100) / 100 } : {}),
    ...(note ? { note } : {}),
  };
}

/** A bundle whose rootfs is the unpacked stack layer itself, read-only, with runc's own default spec. */
async function minimalBundle(lowerDir: string): Promise<string> {
  const dir = await mkdtemp(join(homePaths().tmp, 'bench-minimal-'));
  await exec('runc', ['spec', '--bundle', dir]);
  const spec = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as OciSpec;
  spec.process.terminal = false;
  spec.process.args = ['/bin/true'];
  spec.root = { path: lowerDir, readonly: true };
  await writeFile(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}

/** A bundle with dropship's full hardened spec and overlay rootfs, run by the runtime directly. */
export async function hardenedBundle(lowerDirs: string[]): Promise<{ id: string; dir: string }> {
  const options = normalizeContainerOptions({ lowerDirs, args: ['/bin/true'], limits: { memoryBytes: 1024 ** 3 } });
  const dir = await createBundle(options.id, hostGid(options.idMap, 0));
  await mountRootfs(dir, lowerDirs, options.idMap);
  const spec = buildSpec({ ...options, rootfs: rootfsPath(dir), cgroupsPath: cgroupsPathFor(options.id), annotations: {} });
  await writeFile(join(dir, 'config.json'), JSON.stringify(spec));
  return { id: options.id, dir };
}

/** Median time of each phase of a library container: create (until init runs), wait, destroy. */
async function phases(lowerDirs: string[]): Promise<{ create: number; wait: number; destroy: number }> {
  const times = { create: [] as number[], wait: [] as number[], destroy: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    let start = performance.now();
    const container = await createContainer({ lowerDirs, args: ['/bin/true'], limits: { memoryBytes: 1024 ** 3 } });
    times.create.push(performance.now() - start);
    start = performance.now();
    await container.wait();
    times.wait.push(performance.now() - start);
    start = performance.now();
    await container.destroy();
    times.destroy.push(performance.now() - start);
  }
  return { create: median(times.create), wait: median(times.wait), destroy: median(times.destroy) };
}

/**
 * Until the init runs, for a long-running container: today's foreground `runc run --keep`
 * child, the same container detached under conmon (conmon → `runc create`, then `runc start`),
 * and bare `runc run -d` of the minimal bundle. Teardown is outside the timing.
 */
async function startTimes(lowerDirs: string[], minimal: string): Promise<{ foreground: number; monitored: number; bare: number }> {
  const args = ['/bin/sleep', '60'];
  const dir = await mkdtemp(join(homePaths().tmp, 'bench-monitor-'));
  let container: { destroy(): Promise<void> } | undefined;
  const after = async () => void (await container?.destroy());
  try {
    const foreground = await measure(async () => (container = await createContainer({ lowerDirs, args })), { runs: RUNS, warmup: 1, after });
    const monitor = { logPath: join(dir, 'bench.log'), exitDir: join(dir, 'exits') };
    const monitored = await measure(async () => (container = await createContainer({ lowerDirs, args, monitor })), { runs: RUNS, warmup: 1, after });
    let id = '';
    const bare = await measure(async () => {
      id = newContainerId();
      await exec('runc', ['run', '-d', '--bundle', minimal, id]);
    }, { runs: RUNS, warmup: 1, after: async () => exec('runc', ['delete', '--force', id]) });
    return { foreground, monitored, bare };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runtimeRun(runtime: RuntimeName, bundle: string): Promise<void> {
  const cmd = runtimeCommand(runtime, ['run', '--bundle', bundle, newContainerId()]);
  await exec(cmd.file, cmd.args);
}

/**
 * A `true` task on the tiny stack through the library (one Node process, rootfs cached)
 * against the runtimes started bare, plus the CLI's start-up. The middle rows show where the
 * library's time goes: the hardened spec in the runtime itself, then dropship's own work
 * (overlay mount, bundle, spec, teardown).
 */
export async function benchContainer(): Promise<Row[]> {
  const lowerDirs = await stackLowerDirs('tiny', defaultIdMap());
  await mkdir(homePaths().tmp, { recursive: true });
  const minimal = await minimalBundle(lowerDirs[0]!);
  const hardened = await hardenedBundle(lowerDirs);
  const rows: Row[] = [];
  try {
    const runcMinimal = await timeMedian(() => runtimeRun('runc', minimal), RUNS);
    const crunMinimal = await timeMedian(() => runtimeRun('crun', minimal), RUNS);
    const runcHardened = await timeMedian(() => runtimeRun('runc', hardened.dir), RUNS);
    const taskRunc = await timeMedian(() => runTask({ stack: 'tiny', args: ['/bin/true'] }), RUNS);
    const taskCrun = await timeMedian(() => runTask({ stack: 'tiny', args: ['/bin/true'], runtime: 'crun' }), RUNS);
    const phase = await phases(lowerDirs);
    const start = await startTimes(lowerDirs, minimal);
    rows.push(
      row('task `true` via library (runc)', taskRunc, { name: 'runc run, minimal config', ms: runcMinimal }, `runc with dropship's hardened spec: ${signed(runcHardened - runcMinimal)} ms over minimal; dropship's own work (overlay mount, bundle, spec, runc delete, umount): ${signed(taskRunc - runcHardened)} ms`),
      row('runc run, dropship hardened spec', runcHardened, { name: 'runc run, minimal config', ms: runcMinimal }, 'user namespace, seccomp filter, masked paths, cgroup limits, overlay rootfs'),
      row('task `true` via library (crun)', taskCrun, { name: 'crun run, minimal config', ms: crunMinimal }, 'crun runs in a private mount namespace (unshare + sh) on this hybrid-cgroup host'),
      row('crun run, minimal config', crunMinimal, { name: 'runc run, minimal config', ms: runcMinimal }),
      row('library phase: create until init runs', phase.create, undefined, 'bundle dir, overlay mount (mount(8)), spec, `runc run --keep` up to its pid file'),
      row('library phase: wait for exit', phase.wait, undefined, 'init exits, runc reaps it, OOM counter read'),
      row('create until init runs, under conmon', start.monitored, { name: 'create until init runs, foreground runc run', ms: start.foreground }, `detached: conmon runs \`runc create\`, then \`runc start\`; bare \`runc run -d\` of the minimal bundle: ${round(start.bare)} ms`),
      row('library phase: destroy', phase.destroy, undefined, '`runc delete` (a second runc process, needed because --keep preserves the OOM counter), umount(8), cgroup rmdir, bundle rm'),
    );
  } finally {
    await cleanupContainer(hardened.id);
    await rm(minimal, { recursive: true, force: true });
  }
  const main = join(ROOT, 'dist', 'cli', 'main.js');
  if (existsSync(main)) {
    const version = await timeMedian(() => exec('node', [main, '--version']), RUNS);
    const bareNode = await timeMedian(() => exec('node', ['-e', '0']), RUNS);
    rows.push(row('dropship --version start-up', version, { name: 'node -e 0', ms: bareNode }, 'aim: under 150 ms'));
  } else {
    rows.push({ name: 'dropship --version start-up', median_ms: Number.NaN, note: 'dist/cli/main.js missing: run npm run build' });
  }
  return rows;
}
