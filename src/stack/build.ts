import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { DropshipError } from '../errors.js';
import { homePaths, type HomePaths } from '../home.js';
import { openStore, reproducibleMtime, writeLayer } from '../oci/index.js';
import { withLock } from '../util/lock.js';
import { removeBuildDir } from './cleanup.js';
import { writeBuildMarker } from './build-marker.js';
import { readStack, recordBuild, type StackBuild, type StackInfo } from './metadata.js';
import { readPackageList } from './packages.js';
import { writeSbom } from './sbom.js';
import { recipeDigest, recipeDir } from './recipes.js';

export interface BuildStackOptions {
  /** Build even when a build of the current recipe is in the store. */
  force?: boolean;
  /** Progress lines: the recipe's output and dropship's own steps. */
  onLog?: (line: string) => void;
  home?: HomePaths;
}

/** debootstrap on a slow mirror takes minutes; a second process waits for the first instead of building too. */
const LOCK_TIMEOUT_MS = 30 * 60_000;
const OUTPUT_TAIL = 25;

/**
 * Build a stack's rootfs from its recipe (rootfs/<name>/build.sh) into a temp dir under the
 * dropship home, turn it into a reproducible layer in the store and record it as the stack's
 * current build (the previous one goes to its history, for rebase), with its SBOM. A build of
 * the same recipe already in the store is reused unless `force`.
 */
export async function buildStack(name: string, options: BuildStackOptions = {}): Promise<StackInfo> {
  return (await runBuild(name, options)).info;
}

export interface BuildOutcome {
  info: StackInfo;
  /** The build recorded before this one, when there was one. */
  previous?: StackBuild;
  /** False when an update gave the layer the current build already has (nothing recorded). */
  changed: boolean;
}

/**
 * The one build path. `update` asks the recipe to fetch its package sources' current state
 * first ($DROPSHIP_STACK_UPDATE=1) and always builds; when that gives the current layer again,
 * the current build stays as it was and the outcome says unchanged.
 */
export async function runBuild(name: string, options: BuildStackOptions & { update?: boolean } = {}): Promise<BuildOutcome> {
  const home = options.home ?? homePaths();
  const log = options.onLog ?? (() => undefined);
  const dir = await recipeDir(name);
  const recipe = await recipeDigest(dir);
  const reusable = async () => {
    if (options.force || options.update) return undefined;
    const current = await readStack(home, name);
    return current && current.recipeDigest === recipe && (await openStore(home).blobs.has(current.digest)) ? current : undefined;
  };
  const early = await reusable();
  if (early) return { info: early, changed: false };

  return withLock(
    join(home.locks, `stack-${name}.lock`),
    async () => {
      const reused = await reusable();
      if (reused) return { info: reused, changed: false };
      const current = await readStack(home, name);
      await mkdir(home.tmp, { recursive: true });
      // Under the lock, leftovers of this stack's builds are from a process that was killed.
      for (const entry of await readdir(home.tmp)) {
        if (entry.startsWith(`stack-${name}-`)) await removeBuildDir(join(home.tmp, entry));
      }
      const work = await mkdtemp(join(home.tmp, `stack-${name}-`));
      try {
        const rootfs = join(work, 'rootfs');
        const packageList = join(work, 'packages.tsv');
        await mkdir(rootfs, { mode: 0o755 });
        log(`${options.update ? 'updating' : 'building'} stack ${name} from ${dir}`);
        await runRecipe(name, join(dir, 'build.sh'), rootfs, work, log, {
          DROPSHIP_PACKAGES: packageList,
          ...(options.update ? { DROPSHIP_STACK_UPDATE: '1' } : {}),
        });
        const packages = await readPackageList(packageList);
        await writeBuildMarker(rootfs, name, recipe, packages);
        log(`writing the ${name} layer (${packages.length} packages)`);
        const layer = await writeLayer(rootfs, openStore(home), { pack: { onWarning: log } });
        const sbom = await writeSbom(home, { stack: name, diffId: layer.diffId, packages, epoch: reproducibleMtime() });
        if (options.update && current && current.diffId === layer.diffId && current.sbom?.digest === sbom.digest) {
          log(`stack ${name}: no package changed, the current build ${current.diffId} stays`);
          return { info: current, previous: current.history[0], changed: false };
        }
        const info = await recordBuild(home, name, {
          diffId: layer.diffId,
          digest: layer.descriptor.digest,
          size: layer.descriptor.size,
          mediaType: layer.descriptor.mediaType,
          builtAt: new Date().toISOString(),
          recipeDigest: recipe,
          sbom: { digest: sbom.digest, packages: sbom.packages },
        });
        log(`stack ${name}: ${info.diffId} (${info.size} bytes)${layer.written ? '' : ', same layer as before'}`);
        return { info, previous: info.history[0], changed: current?.diffId !== info.diffId };
      } finally {
        await removeBuildDir(work);
      }
    },
    { timeoutMs: LOCK_TIMEOUT_MS },
  );
}

async function runRecipe(name: string, script: string, rootfs: string, work: string, log: (line: string) => void, env: Record<string, string>): Promise<void> {
  const tail: string[] = [];
  const child = execa('sh', [script, rootfs], {
    all: true,
    reject: false,
    env: { TMPDIR: work, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive', ...env },
    stdin: 'ignore',
    // Its own process group, so that stopping it reaches debootstrap, dpkg and wget below it.
    detached: true,
  });
  // Ctrl-C or a stop: end the recipe and let the caller's cleanup run, instead of dying with the
  // build directory (and whatever debootstrap mounted in it) left behind. `on`, not `once`: execa's
  // signal-exit re-raises a signal nobody else listens to any more, killing us before cleanup.
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    signalGroup(child.pid, 'SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: Awaited<typeof child>;
  try {
    for await (const line of child.iterable({ from: 'all' })) {
      tail.push(line);
      if (tail.length > OUTPUT_TAIL) tail.shift();
      log(line);
    }
    result = await child;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await waitForGroup(child.pid);
  }
  if (interrupted) {
    throw new DropshipError('STACK_BUILD_INTERRUPTED', `stack ${name}: build interrupted by ${interrupted}`, {
      hint: `nothing was recorded; run dropship stack build ${name} again`,
      exitCode: 130,
    });
  }
  if (result.exitCode !== 0) {
    throw new DropshipError(
      'STACK_BUILD_FAILED',
      `stack ${name}: ${script} ${result.exitCode === undefined ? `could not run (${result.shortMessage})` : `exited ${result.exitCode}`}\n${tail.join('\n')}`,
      {
        hint: 'the lines above are the end of the recipe output; stack recipes need root, apt-get, dpkg-deb and (bookworm) debootstrap',
        details: { exitCode: result.exitCode },
      },
    );
  }
}

/** Signal the recipe's whole process group; signal 0 asks whether any of it is still alive. */
function signalGroup(pid: number | undefined, signal: NodeJS.Signals | 0): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The recipe's helpers can outlive its shell by a moment; its directory is removed only after they are gone. */
async function waitForGroup(pid: number | undefined): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (signalGroup(pid, 0)) {
    if (Date.now() > deadline) {
      signalGroup(pid, 'SIGKILL');
      await sleep(200);
      return;
    }
    await sleep(50);
  }
}
