import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { detectOrder, resolveBuildpack, supportsStack, type Buildpack } from '../buildpack/index.js';
import type { BindMount } from '../container/types.js';
import { DropshipError, isDropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { hostGid, hostUid, VCAP_GID, VCAP_UID } from '../security/idmap.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { writableBuildpacks } from './buildpack-copy.js';
import { isTinyMiss, withStackHint } from './stack-hint.js';
import { prepareCache, saveCache, swapCache, treeBytes, workingCopy } from './cache.js';
import { PhaseClock } from './clock.js';
import { readConfined } from './confined.js';
import { diskFullError, openStagingDisk } from './disk.js';
import { writeDroplet } from './droplet.js';
import { namedBuildpacks } from './buildpack-env.js';
import { buildpackEnv, isEnvName } from './env.js';
import { buildpackMount, CONTAINER } from './layout.js';
import { configVarsScript, resultJson, stagingInfo, type BuildpackRecord, type ResultJson } from './metadata.js';
import { normalizeStagingOptions, type NormalizedStagingOptions } from './options.js';
import { platformStagingEnv } from './platform-env.js';
import { finalize, supply, type BuildHooks } from './phases/build.js';
import { detect } from './phases/detect.js';
import { release } from './phases/release.js';
import { checkDetectable, planBuildpacks, type PlannedBuildpack } from './plan.js';
import { mergeProcesses, startCommand } from './processes.js';
import { parseProcfile } from './procfile.js';
import { parseLaunchYaml, type LaunchProcess } from './release.js';
import { withStagingSession, type StagingSession } from './session.js';
import { checkAppDir, copyAppSource } from './source.js';
import { stackRootfs } from './stack-rootfs.js';
import type { StagingOptions, StagingPhase, StagingResult } from './types.js';

const DROPLET_DIRS = ['app', 'deps', 'profile.d', 'tmp', 'logs'];

/** What is known so far, so that result.json can be written whatever step fails. */
interface Progress {
  buildpacks: BuildpackRecord[];
  detected?: string;
  /** A buildpack printed what busybox says to GNU options (stack-hint.ts). */
  tinyMiss: boolean;
}

/**
 * Stage an app: buildpacks run step by step in one hardened staging container (as vcap, with
 * the staging security groups unless `network: false`), orchestrated from here; the droplet is
 * packed on the host after the container is gone. result.json is written on success and on failure.
 */
export async function stage(options: StagingOptions): Promise<StagingResult> {
  const opts = normalizeStagingOptions(options);
  const progress: Progress = { buildpacks: [], tinyMiss: false };
  await checkAppDir(opts.appDir);
  try {
    return await withStagingSession(opts, (session) => run(opts, session, progress));
  } catch (error) {
    // A cancelled staging is reported as such by the session, whatever step it stopped; an error
    // that already names its step and disk (the store's, or the staging disk's) is kept.
    const failure = opts.signal?.aborted ? error : !isDropshipError(error) && isNoSpace(error) ? diskFullError('Writing staging files', opts.limits.disk, error) : withStackHint(error, opts.stack, progress.tinyMiss);
    await writeJsonAtomic(opts.resultPath, failedResult(progress, failure)).catch(() => undefined);
    throw failure;
  }
}

/** ENOSPC, possibly wrapped by the step that hit it. */
function isNoSpace(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === 'ENOSPC') return true;
  }
  return false;
}

function failedResult(progress: Progress, error: unknown): ResultJson {
  const dropship = isDropshipError(error) ? error : undefined;
  const details = dropship?.details ?? {};
  return resultJson({
    buildpacks: progress.buildpacks,
    detected: progress.detected,
    processTypes: {},
    error: {
      code: dropship?.code ?? 'STAGING_FAILED',
      message: error instanceof Error ? error.message : String(error),
      exit_code: dropship?.exitCode ?? 1,
      ...(typeof details.buildpack === 'string' ? { buildpack: details.buildpack } : {}),
      ...(typeof details.step === 'string' ? { step: details.step } : {}),
    },
  });
}

function records(plan: PlannedBuildpack[]): BuildpackRecord[] {
  return plan.map((p) => ({ key: p.buildpack.key, name: p.buildpack.name, version: p.buildpack.version, ...(p.buildpack.commit ? { commit: p.buildpack.commit } : {}) }));
}

function stepsOf(p: PlannedBuildpack): StagingPhase[] {
  if (p.herokuChain) return ['compile'];
  if (!p.final) return ['supply'];
  if (p.has.finalize) return p.has.supply ? ['supply', 'finalize'] : ['finalize'];
  return ['compile'];
}

/** The plan is known (named buildpacks, or after detect): record it and tell the progress display. */
function announcePlan(opts: NormalizedStagingOptions, progress: Progress, plan: PlannedBuildpack[], detected?: string): void {
  progress.buildpacks = records(plan);
  opts.emit({ type: 'plan', buildpacks: plan.map((p) => ({ name: p.buildpack.name, steps: stepsOf(p) })), ...(detected !== undefined ? { detected } : {}) });
}

const STEP_TITLE: Record<string, string> = { supply: 'Supplying', finalize: 'Finalizing', compile: 'Compiling' };

async function run(opts: NormalizedStagingOptions, session: StagingSession, progress: Progress): Promise<StagingResult> {
  const started = Date.now();
  const paths = homePaths(opts.home);
  const clock = new PhaseClock(opts.emit);
  const { work, warn } = session;
  const owner = { uid: hostUid(opts.idMap, VCAP_UID), gid: hostGid(opts.idMap, VCAP_GID) };
  const scratch = join(work, 'scratch');
  // Asked now: npm's answer arrives while the buildpacks are fetched.
  const hostEnv = platformStagingEnv();

  // Buildpacks first: a wrong -b fails in milliseconds, before anything is copied.
  const { named, candidates } = await clock.run('download', 'Downloading buildpacks', async () => {
    const named = namedBuildpacks(opts.buildpacks, opts.env);
    if (named.values.length === 0) {
      // Cloud Native Buildpacks in the order are the cnb room's (dropship build), not V2 detect's.
      const order = (await detectOrder(opts.stack, opts.home)).filter((bp) => (bp.api ?? 'v2') === 'v2');
      await checkDetectable(order);
      return { named: undefined, candidates: order };
    }
    const resolved: Buildpack[] = [];
    const fromApp = opts.buildpacksFrom ?? named.fromEnv;
    for (const [i, value] of named.values.entries()) {
      const bp = await resolveBuildpack(value, i, {
        home: opts.home,
        scratchDir: scratch,
        ...(fromApp ? { fetch: { fromApp } } : {}),
      });
      if (!supportsStack(bp, opts.stack)) {
        throw new DropshipError('BUILDPACK_STACK_UNSUPPORTED', `buildpack '${bp.name}' does not support stack '${opts.stack}' (it supports: ${bp.stacks.join(', ')})`, {
          hint: `stage with --stack ${bp.stacks[0]}, or choose another buildpack`,
        });
      }
      resolved.push(bp);
    }
    return { named: resolved, candidates: resolved };
  });
  let plan: PlannedBuildpack[] | undefined;
  if (named) {
    plan = await planBuildpacks(named);
    announcePlan(opts, progress, plan);
  }

  // After the buildpacks are known: a wrong -b fails before a disk is made.
  const disk = await openStagingDisk(join(paths.cache, opts.name), session.diskDir, opts.diskBytes, warn);
  // The disk holds the cache: it is unmounted after the container is gone, before the work dir goes.
  session.closeLast(disk);
  const tree = join(disk.workDir, 'droplet');
  const envDir = join(disk.workDir, 'env');
  const writableDir = join(disk.workDir, 'container');
  await mkdir(writableDir, { mode: 0o700 });
  await mkdir(tree);
  for (const dir of DROPLET_DIRS) {
    await mkdir(join(tree, dir));
    await chown(join(tree, dir), owner.uid, owner.gid);
  }
  await mkdir(envDir, { mode: 0o755 });
  // ENV_DIR holds the app's env only (Heroku's contract); the platform's values travel in the
  // environment, under the app's.
  for (const [name, value] of Object.entries(opts.env)) {
    if (!isEnvName(name)) {
      throw new DropshipError('INVALID_ENV', `env: '${name}' is not a valid variable name`, { hint: 'use letters, digits and underscores' });
    }
    await writeFile(join(envDir, name), value, { mode: 0o644 });
  }
  const cache = await prepareCache(disk.cacheDir, plan ? plan.map((p) => p.cacheKey) : ['final'], owner, opts.noCache);
  // Buildpacks write to copies of the cache and of themselves, on the staging disk.
  const [lowerDirs, buildpackDirs, cacheDir] = await Promise.all([
    (opts.rootfs ?? stackRootfs)(opts.stack, opts.idMap, opts.home),
    writableBuildpacks(candidates, join(disk.workDir, 'buildpacks'), owner),
    workingCopy(disk.cacheDir, join(disk.workDir, 'cache'), owner).catch((error: unknown) => {
      throw isNoSpace(error) ? diskFullError('Copying the staging cache', opts.limits.disk, error) : error;
    }),
  ]);
  const env = buildpackEnv({ appName: opts.name, stack: opts.stack, memoryBytes: opts.memoryBytes, userEnv: opts.env, platformEnv: await hostEnv, services: opts.services });
  const mounts: BindMount[] = [
    { source: join(tree, 'app'), destination: CONTAINER.build },
    { source: join(tree, 'deps'), destination: CONTAINER.deps },
    { source: join(tree, 'profile.d'), destination: CONTAINER.profileD },
    { source: envDir, destination: CONTAINER.envDir, readonly: true },
    { source: cacheDir, destination: CONTAINER.cache },
    ...buildpackDirs.map((dir, i) => ({ source: dir, destination: buildpackMount(i) })),
  ];
  // The container starts while the app is copied into its (already bind-mounted) build dir.
  const { sandbox, runner, alongside: copied } = await session.start({
    hostname: 'staging',
    lowerDirs,
    env,
    cwd: CONTAINER.build,
    mounts,
    writableDir,
    diskFull: () => disk.full(),
    onLine: (line, stream) => {
      if (opts.stack === 'tiny' && !progress.tinyMiss && isTinyMiss(line)) progress.tinyMiss = true;
      opts.emit({ type: 'log', line, stream });
    },
  }, () =>
    clock.run('upload', 'Copying app source', () =>
      copyAppSource(opts.appDir, join(tree, 'app'), owner, opts.appDirWithin).catch((error: unknown) => {
        throw isNoSpace(error) ? diskFullError('Copying app source', opts.limits.disk, error) : error;
      })));
  if (copied.skipped.length) warn(`not copied (sockets, fifos or devices): ${copied.skipped.join(', ')}`);

  if (!plan) {
    const detection = await clock.run('detect', 'Detecting', () =>
      detect(runner, candidates.map((bp, i) => ({ buildpack: bp, mount: buildpackMount(i) })), opts.limits));
    progress.detected = detection.detected;
    plan = await planBuildpacks([detection.winner.buildpack], candidates.indexOf(detection.winner.buildpack));
    announcePlan(opts, progress, plan, detection.detected);
  } else {
    clock.skip('detect', 'Detecting (skipped: buildpacks named)');
  }
  const final = plan[plan.length - 1]!;
  progress.detected ??= final.buildpack.name;

  const hooks: BuildHooks = {
    onStep: (step, p) => clock.start(step, `${STEP_TITLE[step]} ${p.buildpack.name}`, p.buildpack.name),
    onStepDone: (step, p, outcome) => clock.end(step, `${STEP_TITLE[step]} ${p.buildpack.name}`, outcome.exitCode === 0 && !outcome.timedOut, p.buildpack.name),
  };
  await supply(runner, plan, opts.limits, hooks);
  await finalize(runner, plan, opts.limits, hooks);
  const released = await clock.run('release', 'Releasing', () => release(runner, plan, opts.limits));
  // Nothing of the staging may run while the host reads what it wrote; the rest of the teardown overlaps.
  await session.halt();
  const teardown = sandbox.destroy();

  const launch: LaunchProcess[][] = [];
  for (const p of plan) {
    const text = await readConfined(join(tree, 'deps'), `${p.depsIdx}/launch.yml`);
    if (text !== undefined) launch.push(parseLaunchYaml(text, `deps/${p.depsIdx}/launch.yml of buildpack '${p.buildpack.name}'`));
  }
  const procfileText = await readConfined(join(tree, 'app'), 'Procfile');
  const table = mergeProcesses({
    release: released.defaultProcessTypes,
    launch,
    procfile: procfileText === undefined ? undefined : parseProcfile(procfileText),
    command: opts.command,
  });
  const types = Object.keys(table.processTypes);
  if (types.length === 0) {
    throw new DropshipError('NO_START_COMMAND', `the app has no start command: buildpack '${final.buildpack.name}' defines no process types and there is no Procfile`, {
      hint: "add a Procfile with a line like 'web: ./start --port $PORT', or stage with --command './start'",
      exitCode: 224,
      details: { buildpack: final.buildpack.key, step: 'release' },
    });
  }
  let start = startCommand(table.processTypes);
  if (table.processTypes.web === undefined) {
    start ??= table.processTypes[types[0]!]!;
    warn(`no 'web' process type (found: ${types.join(', ')}): the app gets no HTTP traffic and a port health check will fail; ` +
      `it starts '${start}'. Add 'web:' to the Procfile or use --command, or run it with a process health check`);
  }

  const configScript = configVarsScript(released.configVars);
  if (configScript) await writeFileAtomic(join(tree, 'profile.d', '000_config_vars.sh'), configScript, { mode: 0o755 });
  await writeFile(join(tree, 'staging_info.yml'), stagingInfo(progress.detected, start!));
  const droplet = await clock.run('package', 'Packaging droplet', () => writeDroplet(tree, opts.dropletPath, { compression: opts.dropletCompression }));
  const keep = plan.map((p) => p.cacheKey);
  const pruned = await clock.run('cache', 'Saving cache', async () => {
    const removed = await saveCache(cacheDir, keep, owner);
    await swapCache(cacheDir, disk.cacheDir);
    return removed;
  });
  const cacheBytes = await treeBytes(disk.cacheDir);

  const result = resultJson({ buildpacks: progress.buildpacks, detected: progress.detected, processTypes: table.processTypes });
  await writeJsonAtomic(opts.resultPath, result);
  await teardown;
  return {
    app: opts.name,
    stack: opts.stack,
    droplet,
    resultPath: opts.resultPath,
    result,
    detectedBuildpack: progress.detected,
    startCommand: start!,
    processTypes: table.processTypes,
    warnings: session.warnings,
    cache: { dir: disk.image, reused: cache.reused, bytes: cacheBytes, pruned },
    timings: { totalMs: Date.now() - started, scriptsMs: runner.scriptsMs, phases: clock.timings },
  };
}
