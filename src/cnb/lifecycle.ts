import { chown, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveBuildpack } from '../buildpack/index.js';
import type { BindMount } from '../container/types.js';
import { DropshipError, isDropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { openStore, reproducibleMtime } from '../oci/index.js';
import { hostGid, hostUid, VCAP_GID, VCAP_UID } from '../security/idmap.js';
import {
  buildpackEnv, copyAppSource, isEnvName, normalizeStagingOptions, platformStagingEnv, stackRootfs, withStagingSession,
  type NormalizedStagingOptions, type StagingEvent, type StagingSession, type StepOutcome,
} from '../staging/index.js';
import { ensureStack } from '../stack/index.js';
import { recordLaunchLayers, restoreCache } from './cache.js';
import { readDescriptor, supportsTarget, type RunTarget } from './descriptor.js';
import { applyEnvChanges, envChanges, layerPathChanges, type EnvChange } from './env-files.js';
import { exportCnbImage, type ExportResult, type GroupBuildpack } from './export.js';
import { mergeProcessTypes, parseBuildToml, parseLaunchToml, parseLayerToml, type ProcessType } from './layer-toml.js';
import { buildpackMount, CNB_PATHS, escapeId } from './layout.js';
import { checkDistinctLayersDirs, groupsFrom, orderGroups, type CnbBuildpack, type Group } from './order.js';
import { entriesFor, parseDetectPlan, resolveGroup, type DetectOutcome, type PlanEntry } from './plan.js';
import { projectFilter, projectMetadata, readProjectDescriptor, type ProjectDescriptor } from './project.js';
import { BUILD_WRAPPER, DETECT_WRAPPER, parseLayersDump, StepCapture } from './read-back.js';
import { collectSboms, sbomPath, writeSbomTree, type SbomSource } from './sbom.js';
import type { AppSlice } from './slices.js';
import { stringify } from 'smol-toml';

export interface CnbBuildOptions {
  appDir: string;
  /** `-b` values: CNB buildpack dirs, archives, URLs or registered names, in order. */
  buildpacks: string[];
  /** The manifest that named the buildpacks (not the operator): only names and public URLs are taken from it. */
  buildpacksFrom?: string;
  /** NAME[:TAG] of the image. */
  tag: string;
  stack?: string;
  /** App name: keys the cache. Default: the app directory's name. */
  name?: string;
  env?: Record<string, string>;
  clearCache?: boolean;
  /** Also lay the build's SBOMs out here as launch/… and build/… (as pack build --sbom-output-dir). */
  sbomOutputDir?: string;
  /** `group` (default): the buildpacks form one group, as `-b` lists do; `order`: each is a group of its own, tried in turn. */
  grouping?: 'group' | 'order';
  /** With `order`: the registered order groups, tried first, each member named by its key among `buildpacks`. */
  groups?: Array<Array<{ key: string; optional: boolean }>>;
  timeout?: string | number;
  memory?: string | number;
  network?: boolean;
  home?: string;
  onEvent?: (event: StagingEvent) => void;
  signal?: AbortSignal;
}

export interface CnbBuildResult {
  app: string;
  stack: string;
  image: ExportResult;
  group: Array<{ id: string; version: string }>;
  processes: ProcessType[];
  defaultProcess?: string;
  warnings: string[];
  cache: { dir: string; restored: string[] };
  /** Where the last build's SBOMs are kept (launch/…, build/…), and their paths below it. */
  sbom: { dir: string; files: string[] };
  /** The app's project.toml, when it has one. */
  project?: string;
  timings: { totalMs: number; detectMs: number; buildMs: number; exportMs: number };
}

/** Where dropship's stacks run (CNB_TARGET_*): both are built from Debian 12 packages. */
function targetOf(): RunTarget {
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
  return { os: 'linux', arch, distroName: 'debian', distroVersion: '12' };
}

function targetEnv(t: RunTarget): Record<string, string> {
  return { CNB_TARGET_OS: t.os, CNB_TARGET_ARCH: t.arch, CNB_TARGET_DISTRO_NAME: t.distroName, CNB_TARGET_DISTRO_VERSION: t.distroVersion };
}

async function checkScript(bp: CnbBuildpack, script: string): Promise<void> {
  const path = join(bp.dir, script);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile() || (info.mode & 0o005) !== 0o005) {
    throw new DropshipError('CNB_BUILDPACK_INVALID', `buildpack ${bp.descriptor.id}: ${path} is ${info ? 'not executable by the build user' : 'missing'}`, {
      hint: info ? `chmod a+rx ${path}` : `a component buildpack has ${script}`,
      details: { buildpack: bp.descriptor.id, file: path },
    });
  }
}

/** Resolve `-b` values to CNB buildpacks with a validated buildpack.toml. */
export async function resolveCnbBuildpacks(values: string[], home: string, scratch: string, fromApp?: string): Promise<CnbBuildpack[]> {
  const out: CnbBuildpack[] = [];
  for (const [i, value] of values.entries()) {
    const bp = await resolveBuildpack(value, i, { home, scratchDir: scratch, ...(fromApp ? { fetch: { fromApp } } : {}) });
    const descriptor = await readDescriptor(bp.dir);
    if (!descriptor) {
      throw new DropshipError('CNB_NOT_A_CNB', `buildpack ${value} has no buildpack.toml: it is a V2 buildpack`, {
        hint: 'V2 and Cloud Native Buildpacks cannot share one build; use dropship build with V2 buildpacks only (through a droplet), or CNB ones only',
      });
    }
    out.push({ key: bp.key, dir: bp.dir, descriptor });
  }
  return out;
}

/** The registered order groups with their members' resolved buildpacks. */
function registeredGroups(named: CnbBuildpack[], groups: Array<Array<{ key: string; optional: boolean }>>): Group[] {
  const byKey = new Map(named.map((bp) => [bp.key, bp]));
  return groups.map((group) => group.map((m) => {
    const bp = byKey.get(m.key);
    if (!bp) throw new DropshipError('CNB_GROUP_MEMBER_MISSING', `order group member ${m.key} is not among the buildpacks of this build`, { hint: "'dropship buildpacks' lists the groups and their members" });
    return { bp, optional: m.optional };
  }));
}

/** One detect failure summary per group, for the "no group passed" error. */
function noGroupPassed(reasons: string[], errored: boolean): DropshipError {
  return new DropshipError('CNB_NO_GROUP_PASSED', `no buildpack group passed detection:\n${reasons.map((r) => `  ${r}`).join('\n')}`, {
    hint: errored ? 'a bin/detect failed (exit code other than 0 and 100); its output is above' : 'check that the app has what the buildpacks look for, or choose others with -b',
    exitCode: errored ? 21 : 20,
    details: { step: 'detect', groups: reasons },
  });
}

function describeExit(o: StepOutcome): string {
  if (o.timedOut) return 'timed out';
  if (o.oomKilled) return 'ran out of memory';
  if (o.outputExceeded) return 'wrote too much output';
  return o.signal ? `killed by ${o.signal}` : `exit code ${o.exitCode}`;
}

/** Where a step's log lines go. */
type LogSink = (line: string, stream: 'stdout' | 'stderr') => void;

/** Stands for the step's marker in a wrapper's argument list. */
const MARKER = '\0marker';

/**
 * Build an app with Cloud Native Buildpacks into an image: detect (20/21), restore the cache,
 * build (51), export. The buildpacks run in the hardened staging container as vcap; the host
 * orchestrates, reads what they wrote through the container, and packs the image once the
 * container is gone. The staging session's one cleanup removes the container, its network and the work dir.
 */
export async function cnbBuild(options: CnbBuildOptions): Promise<CnbBuildResult> {
  // project.toml's build env is the app's default; -e (options.env) wins.
  const project = await readProjectDescriptor(options.appDir);
  const opts = normalizeStagingOptions({
    appDir: options.appDir, stack: options.stack, name: options.name, env: { ...project?.env, ...options.env }, timeout: options.timeout, memory: options.memory,
    network: options.network, home: options.home, onEvent: options.onEvent, signal: options.signal, noCache: options.clearCache,
  });
  return withStagingSession(opts, (session) => run(opts, options, session, project));
}

async function run(opts: NormalizedStagingOptions, options: CnbBuildOptions, session: StagingSession, project: ProjectDescriptor | undefined): Promise<CnbBuildResult> {
  const started = Date.now();
  const paths = homePaths(opts.home);
  const { work, warn } = session;
  const log = (line: string) => opts.emit({ type: 'log', line, stream: 'platform' });
  const owner = { uid: hostUid(opts.idMap, VCAP_UID), gid: hostGid(opts.idMap, VCAP_GID) };
  const target = targetOf();
  // Asked now: npm's answer (a few hundred ms) arrives while the buildpacks are resolved.
  const hostEnv = platformStagingEnv();
  const named = await resolveCnbBuildpacks(options.buildpacks, opts.home, join(work, 'bp'), options.buildpacksFrom);
  if (named.length === 0) {
    throw new DropshipError('CNB_NO_BUILDPACKS', 'no Cloud Native Buildpack was given', { hint: 'name them with -b DIR (a directory with buildpack.toml)' });
  }
  for (const bp of named) {
    if (!supportsTarget(bp.descriptor, target)) {
      throw new DropshipError('CNB_TARGET_UNSUPPORTED', `buildpack ${bp.descriptor.id} declares no [[targets]] entry for ${target.os}/${target.arch} ${target.distroName} ${target.distroVersion}`, {
        hint: 'choose a buildpack built for linux on Debian 12 (bookworm)', exitCode: 1,
      });
    }
    if (!bp.descriptor.order) {
      await checkScript(bp, 'bin/detect');
      await checkScript(bp, 'bin/build');
    }
  }
  const groups = options.grouping === 'order' ? orderGroups(named, registeredGroups(named, options.groups ?? [])) : groupsFrom(named);
  checkDistinctLayersDirs(groups);
  const index = new Map(named.map((bp, i) => [bp, i]));

  const appDir = join(work, 'app');
  const platformDir = join(work, 'platform');
  const scratchDir = join(work, 'scratch');
  for (const dir of [appDir, scratchDir]) {
    await mkdir(dir, { mode: 0o755 });
    await chown(dir, owner.uid, owner.gid);
  }
  await mkdir(join(platformDir, 'env'), { recursive: true, mode: 0o755 });
  for (const [name, value] of Object.entries(opts.env)) {
    if (!isEnvName(name)) throw new DropshipError('INVALID_ENV', `env: '${name}' is not a valid variable name`, { hint: 'use letters, digits and underscores' });
    await writeFile(join(platformDir, 'env', name), value, { mode: 0o644 });
  }
  const cache = await restoreCache(join(paths.cache, opts.name, 'cnb'), owner, opts.noCache);
  const baseEnv = buildpackEnv({ appName: opts.name, stack: opts.stack, memoryBytes: opts.memoryBytes, userEnv: {}, services: opts.services });
  const lowerDirs = await stackRootfs(opts.stack, opts.idMap, opts.home);
  const mounts: BindMount[] = [
    { source: appDir, destination: CNB_PATHS.app },
    { source: cache.layers, destination: CNB_PATHS.layers },
    { source: platformDir, destination: CNB_PATHS.platform, readonly: true },
    { source: scratchDir, destination: CNB_PATHS.scratch },
    ...named.map((bp, i) => ({ source: bp.dir, destination: buildpackMount(i), readonly: true })),
  ];
  const emitLine: LogSink = (line, stream) => opts.emit({ type: 'log', line, stream });
  const { sandbox, runner } = await session.start({
    hostname: 'build', lowerDirs, env: baseEnv, cwd: CNB_PATHS.app, mounts, onLine: emitLine,
  }, () => copyAppSource(opts.appDir, appDir, owner, opts.appDirWithin, projectFilter(project)));
  // Asked before the buildpacks were resolved: npm's answer has had the container's start to arrive.
  const userEnv = { ...(await hostEnv), ...opts.env };
  /**
   * Run a wrapped step; its dump (after its own random marker) comes back apart from its log
   * lines, which go to `sink`. Each step has its own capture, so steps can run side by side.
   */
  const runCaptured = async (spec: Parameters<typeof runner.run>[0], sink: LogSink = emitLine) => {
    const capture = new StepCapture();
    const marker = capture.start();
    const out = await runner.run({
      ...spec, args: spec.args.map((a) => (a === MARKER ? marker : a)),
      onLine: (line, stream) => {
        if (stream === 'stderr') sink(line, stream);
        else for (const l of capture.line(line)) sink(l, stream);
      },
    });
    const { bytes, pending } = capture.finish();
    for (const line of pending) sink(line, 'stdout');
    return { out, bytes };
  };
  const stepEnv = (bp: CnbBuildpack): Record<string, string> => ({
    ...(bp.descriptor.clearEnv ? {} : userEnv),
    CNB_BUILDPACK_DIR: buildpackMount(index.get(bp)!),
    CNB_PLATFORM_DIR: CNB_PATHS.platform,
    ...targetEnv(target),
  });

  // Detect: each buildpack's bin/detect runs at most once, whatever the number of groups it is
  // in. The members of a group detect side by side (one runc exec each, ~100 ms here, mostly
  // waiting), as the reference lifecycle does; their lines are logged in group order.
  const detectStarted = Date.now();
  opts.emit({ type: 'phase', phase: 'detect', status: 'start', title: 'Detecting' });
  const outcomes = new Map<CnbBuildpack, Promise<{ outcome: Omit<DetectOutcome, 'optional'>; lines: Array<[string, 'stdout' | 'stderr']> }>>();
  const detectOne = (bp: CnbBuildpack) => {
    let known = outcomes.get(bp);
    if (!known) outcomes.set(bp, (known = runDetect(bp)));
    return known;
  };
  const runDetect = async (bp: CnbBuildpack) => {
    const lines: Array<[string, 'stdout' | 'stderr']> = [];
    const planPath = `${CNB_PATHS.scratch}/detect-${index.get(bp)}.toml`;
    const { out, bytes } = await runCaptured({
      step: 'detect', buildpack: bp.descriptor.id,
      args: ['/bin/sh', '-c', DETECT_WRAPPER, 'detect', planPath, MARKER, `${buildpackMount(index.get(bp)!)}/bin/detect`, CNB_PATHS.platform, planPath],
      env: { ...stepEnv(bp), CNB_BUILD_PLAN_PATH: planPath },
    }, (line, stream) => lines.push([line, stream]));
    const base = { id: bp.descriptor.id, version: bp.descriptor.version };
    let outcome: Omit<DetectOutcome, 'optional'>;
    if (out.exitCode === 0 && !out.timedOut && !out.signal) {
      const text = bytes?.toString('utf8') ?? '';
      outcome = { ...base, status: 'pass', alternatives: parseDetectPlan(text, `plan of ${bp.descriptor.id} (CNB_BUILD_PLAN_PATH)`) };
    } else if (out.exitCode === 100) {
      outcome = { ...base, status: 'fail', alternatives: [] };
    } else {
      outcome = { ...base, status: 'error', alternatives: [], detail: `bin/detect ${describeExit(out)}${out.tail.length ? `: ${out.tail[out.tail.length - 1]}` : ''}` };
    }
    return { outcome, lines };
  };
  const logged = new Set<CnbBuildpack>();
  let chosen: { group: Group; entries: PlanEntry[] } | undefined;
  const reasons: string[] = [];
  for (const [g, group] of groups.entries()) {
    const detected = await Promise.allSettled(group.map((member) => detectOne(member.bp)));
    const results: DetectOutcome[] = [];
    for (const [i, member] of group.entries()) {
      const settled = detected[i]!;
      if (settled.status === 'rejected') throw settled.reason;
      if (!logged.has(member.bp)) for (const [line, stream] of settled.value.lines) emitLine(line, stream);
      logged.add(member.bp);
      results.push({ ...settled.value.outcome, optional: member.optional });
    }
    const resolution = resolveGroup(results);
    const label = `group ${g + 1} (${group.map((m) => m.bp.descriptor.id + (m.optional ? '?' : '')).join(', ')})`;
    if (resolution.ok) {
      const kept = new Set(resolution.group.map((x) => x.id));
      chosen = { group: group.filter((m) => kept.has(m.bp.descriptor.id)), entries: resolution.entries };
      for (const skipped of resolution.skippedOptional) log(`skipping optional buildpack ${skipped}`);
      break;
    }
    reasons.push(`${label}: ${resolution.reason}`);
  }
  const detectMs = Date.now() - detectStarted;
  if (!chosen) {
    opts.emit({ type: 'phase', phase: 'detect', status: 'failed', title: 'Detecting', durationMs: detectMs });
    // Every detect has settled by now (each group's were awaited).
    const settled = await Promise.all(outcomes.values());
    throw noGroupPassed(reasons, settled.some((d) => d.outcome.status === 'error'));
  }
  opts.emit({ type: 'phase', phase: 'detect', status: 'done', title: `Detected ${chosen.group.map((m) => `${m.bp.descriptor.id}@${m.bp.descriptor.version}`).join(', ')}`, durationMs: detectMs });
  opts.emit({ type: 'plan', buildpacks: chosen.group.map((m) => ({ name: m.bp.descriptor.id, steps: ['compile'] })) });

  // Build: each buildpack sees the build layers of those before it (PATH, LD_LIBRARY_PATH, env, env.build).
  const buildStarted = Date.now();
  let buildEnvChanges: EnvChange[] = [];
  const met = new Set<string>();
  const processLists: Array<Array<ProcessType & { buildpackId: string }>> = [];
  const labels: Array<{ key: string; value: string }> = [];
  const exported: GroupBuildpack[] = [];
  const slices: AppSlice[] = [];
  const sbomSources: SbomSource[] = [];
  for (const member of chosen.group) {
    const bp = member.bp;
    const bpId = bp.descriptor.id;
    const layersDir = `${CNB_PATHS.layers}/${escapeId(bpId)}`;
    const planPath = `${CNB_PATHS.scratch}/plan-${index.get(bp)}.toml`;
    const mine = entriesFor(bpId, chosen.entries, met);
    const planText = stringify({ entries: mine });
    const title = `Building ${bpId}@${bp.descriptor.version}`;
    opts.emit({ type: 'phase', phase: 'compile', status: 'start', title, buildpack: bpId });
    const stepStarted = Date.now();
    const env = applyEnvChanges({ ...baseEnv, ...stepEnv(bp) }, buildEnvChanges);
    // The layers dir and plan are made inside the container as vcap: the host never writes where
    // a buildpack could have planted a link.
    const { out, bytes } = await runCaptured({
      step: 'compile', buildpack: bpId,
      args: ['/bin/sh', '-c', BUILD_WRAPPER, 'build', layersDir, planText, planPath, MARKER,
        `${buildpackMount(index.get(bp)!)}/bin/build`, layersDir, CNB_PATHS.platform, planPath],
      env: { ...env, CNB_LAYERS_DIR: layersDir, CNB_BP_PLAN_PATH: planPath },
    });
    const ok = out.exitCode === 0 && !out.timedOut && !out.signal;
    opts.emit({ type: 'phase', phase: 'compile', status: ok ? 'done' : 'failed', title, buildpack: bpId, durationMs: Date.now() - stepStarted });
    if (!ok) {
      const tail = out.tail.length ? `\nlast lines of output:\n${out.tail.map((l) => `  ${l}`).join('\n')}` : '';
      throw new DropshipError('CNB_BUILD_FAILED', `buildpack ${bpId}@${bp.descriptor.version} failed in build: bin/build ${describeExit(out)}${tail}`, {
        hint: "the buildpack's last lines above say why; fix the app or the buildpack",
        exitCode: 51,
        details: { buildpack: bpId, step: 'build', exitCode: out.exitCode, tail: out.tail },
      });
    }
    const snapshot = await parseLayersDump(bytes);
    const launch = snapshot.files.get('launch.toml');
    const parsedLaunch = launch === undefined ? undefined : parseLaunchToml(launch, bpId);
    if (parsedLaunch) {
      processLists.push(parsedLaunch.processes.map((p) => ({ ...p, buildpackId: bpId })));
      labels.push(...parsedLaunch.labels);
      for (const [i, slice] of parsedLaunch.slices.entries()) slices.push({ buildpackId: bpId, index: i, paths: slice.paths });
    }
    const build = snapshot.files.get('build.toml');
    const unmet = new Set(build === undefined ? [] : parseBuildToml(build, bpId));
    for (const e of mine) if (!unmet.has(e.name)) met.add(e.name);
    const group: GroupBuildpack = { id: bpId, version: bp.descriptor.version, homepage: bp.descriptor.homepage, layers: [] };
    const otherLayers: string[] = [];
    const layerNames = [...snapshot.files.keys()].filter((f) => !f.includes('/') && f.endsWith('.toml') && !['launch.toml', 'build.toml', 'store.toml'].includes(f))
      .map((f) => f.slice(0, -'.toml'.length)).sort();
    for (const name of layerNames) {
      const toml = parseLayerToml(snapshot.files.get(`${name}.toml`)!, bpId, `${name}.toml`);
      const hasDir = snapshot.dirs.has(name);
      if (toml.types.build && hasDir) {
        const files = (sub: string) => [...snapshot.files.entries()]
          .filter(([f]) => f.startsWith(`${name}/${sub}/`) && !f.slice(`${name}/${sub}/`.length).includes('/'))
          .map(([f, content]) => ({ file: f.slice(`${name}/${sub}/`.length), content }));
        const layerPath = `${layersDir}/${name}`;
        const env = envChanges(files('env'));
        const envBuild = envChanges(files('env.build'));
        for (const ignored of [...env.ignored, ...envBuild.ignored]) warn(`buildpack ${bpId}: layer ${name}: env file ${ignored} names no variable; ignored`);
        buildEnvChanges = [...buildEnvChanges,
          ...layerPathChanges(layerPath, { bin: snapshot.dirs.has(`${name}/bin`), lib: snapshot.dirs.has(`${name}/lib`) }, 'build'),
          ...env.changes, ...envBuild.changes];
      }
      if (toml.types.launch) group.layers.push({ name, toml, reuse: !hasDir });
      else if (toml.types.build || toml.types.cache) otherLayers.push(name);
    }
    exported.push(group);
    sbomSources.push({ id: bpId, sbomFormats: bp.descriptor.sbomFormats, launchLayers: group.layers.map((l) => l.name), otherLayers });
  }
  const unmetEntries = chosen.entries.filter((e) => !met.has(e.name));
  for (const e of unmetEntries) warn(`build plan entry '${e.name}' was left unmet by every provider (${e.providers.join(', ')})`);
  const buildMs = Date.now() - buildStarted;
  const { processes, defaultType } = mergeProcessTypes(processLists);
  if (processes.length === 0) warn('no buildpack defined a process type (launch.toml [[processes]]): the image runs only a command given to it');

  // Nothing of the build may run while the host packs what it wrote.
  await session.halt();
  await sandbox.destroy();
  const sboms = await collectSboms(cache.layers, sbomSources, warn);

  const exportStarted = Date.now();
  opts.emit({ type: 'phase', phase: 'package', status: 'start', title: `Exporting ${options.tag}` });
  const stack = await ensureStack(opts.stack, { home: paths });
  const image = await exportCnbImage({
    store: openStore(paths), tag: options.tag, stack, epoch: reproducibleMtime(), appDir, layersDir: cache.layers,
    group: exported, processes: processes as Array<ProcessType & { buildpackId: string }>, defaultType, labels, previous: cache.previous,
    slices, sboms, projectMetadata: projectMetadata(project), onWarning: warn,
  });
  await recordLaunchLayers(cache, image.launchLayers);
  // Build SBOMs are not in the image (platform.md): the last build's stay beside the cache, for the operator.
  const sbomDir = join(cache.root, 'sbom');
  await writeSbomTree(sbomDir, sboms);
  if (options.sbomOutputDir) {
    const out = options.sbomOutputDir;
    await writeSbomTree(out, sboms).catch((error: unknown) => {
      // The user's directory: a file there, no permission, a full disk. One line naming the flag, not a crash.
      const hint = isDropshipError(error) && error.hint ? error.hint : 'give a directory dropship can write';
      throw new DropshipError('SBOM_OUTPUT_FAILED', `--sbom-output-dir ${out}: cannot lay out the SBOMs: ${(error as Error).message}`, {
        cause: error, hint: `${hint} (the image ${image.name}:${image.tag} was built; its SBOMs are also in ${sbomDir})`,
      });
    });
  }
  const exportMs = Date.now() - exportStarted;
  opts.emit({ type: 'phase', phase: 'package', status: 'done', title: `Exported ${image.name}:${image.tag}`, durationMs: exportMs });
  return {
    app: opts.name, stack: opts.stack, image,
    group: chosen.group.map((m) => ({ id: m.bp.descriptor.id, version: m.bp.descriptor.version })),
    processes, ...(defaultType ? { defaultProcess: defaultType } : {}), warnings: session.warnings,
    cache: { dir: cache.root, restored: cache.restored },
    sbom: { dir: sbomDir, files: sboms.map(sbomPath) }, ...(project ? { project: project.file } : {}),
    timings: { totalMs: Date.now() - started, detectMs, buildMs, exportMs },
  };
}
