import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { detectGroups, detectOrder, readBuildpackMetadata, resolveBuildpack } from '../buildpack/index.js';
import { DropshipError, isDropshipError } from '../errors.js';
import { heldDirPath, openContainedDir } from '../util/contained-path.js';
import { copyTreeNoFollow } from '../util/copy-tree.js';
import { readDescriptor } from './descriptor.js';
import { readProjectDescriptor, type ProjectDescriptor } from './project.js';
import { homePaths } from '../home.js';
import { buildImage, openStore } from '../oci/index.js';
import { stage } from '../staging/index.js';
import { DEFAULT_STACK, ensureStack } from '../stack/index.js';
import { cnbBuild, type CnbBuildOptions, type CnbBuildResult } from './lifecycle.js';

export interface AppImage {
  kind: 'cnb' | 'v2';
  name: string;
  tag: string;
  digest: string;
  size: number;
  processTypes: Record<string, string>;
  defaultProcess?: string;
  buildpacks: Array<{ id: string; version: string }>;
  bytesWritten?: number;
  /** CNB: where the build's SBOMs were laid out (launch/…, build/…), and their paths below it. */
  sbom?: { dir: string; files: string[] };
  warnings: string[];
  totalMs: number;
}

/**
 * Is every `-b` a Cloud Native Buildpack (true), none (false)? A mix is refused. Names from an
 * app's manifest (`fromApp`) are resolved under the same rules as staging's: names and public URLs only.
 */
async function cnbKind(values: string[], home: string, fromApp: string | undefined): Promise<boolean> {
  const scratch = await mkdtemp(join(homePaths(home).tmp, 'build-kind-'));
  try {
    const resolve = (v: string, i: number) => resolveBuildpack(v, i, { home, scratchDir: scratch, ...(fromApp ? { fetch: { fromApp } } : {}) });
    const apis = await Promise.all(values.map(async (v, i) => (await readBuildpackMetadata((await resolve(v, i)).dir)).api));
    const cnb = apis.filter((a) => a !== 'v2').length;
    if (cnb > 0 && cnb < apis.length) {
      throw new DropshipError('BUILD_MIXED_BUILDPACKS', `-b: ${values.filter((_, i) => apis[i] === 'v2').join(', ')} ${cnb === apis.length - 1 ? 'is a V2 buildpack' : 'are V2 buildpacks'}, the others Cloud Native Buildpacks`, {
        hint: 'one build uses one kind: V2 buildpacks (through a droplet) or Cloud Native Buildpacks',
      });
    }
    return cnb > 0;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function fromCnb(r: Awaited<ReturnType<typeof cnbBuild>>): AppImage {
  return {
    kind: 'cnb', name: r.image.name, tag: r.image.tag, digest: r.image.digest, size: r.image.size,
    processTypes: Object.fromEntries(r.processes.map((p) => [p.type, [...p.command, ...p.args].join(' ')])),
    ...(r.defaultProcess ? { defaultProcess: r.defaultProcess } : {}),
    buildpacks: r.group, bytesWritten: r.image.bytesWritten, sbom: r.sbom, warnings: r.warnings, totalMs: r.timings.totalMs,
  };
}

/**
 * The Cloud Native Buildpacks build of an app, when its buildpacks are Cloud Native ones: every
 * `-b` is one (a mix is refused), or none is named and a group of the detect order passes
 * detection: the order groups (`buildpack create --group`) first, then each registered CNB
 * buildpack as a group of its own. Undefined when the
 * job is V2 staging's: V2 buildpacks named, or none named and no CNB group passed while V2 ones
 * remain to detect (one detect order, CNB before V2: their detect contracts cannot interleave).
 * `dropship build` and `dropship push` decide the same way.
 */
export async function buildIfCnb(options: CnbBuildOptions): Promise<CnbBuildResult | undefined> {
  const home = options.home ?? homePaths().root;
  await mkdir(homePaths(home).tmp, { recursive: true });
  const project = options.buildpacks.length === 0 ? await readProjectDescriptor(options.appDir) : undefined;
  if (project?.group.length) {
    // project.toml's [[io.buildpacks.group]] is the one group when no -b names buildpacks.
    const scratch = await mkdtemp(join(homePaths(home).tmp, 'build-project-'));
    try {
      const buildpacks = await projectGroup(project, options.appDir, options.stack ?? DEFAULT_STACK, home, scratch);
      return await cnbBuild({ ...options, home, buildpacks, grouping: 'group' });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  if (options.buildpacks.length === 0) {
    const stack = options.stack ?? DEFAULT_STACK;
    const [order, groups] = await Promise.all([detectOrder(stack, home), detectGroups(stack, home)]);
    const cnb = order.filter((b) => b.api !== undefined && b.api !== 'v2');
    if (cnb.length === 0) return undefined;
    try {
      return await cnbBuild({ ...options, home, buildpacks: cnb.map((b) => b.key), grouping: 'order', groups: groups.map((g) => g.members) });
    } catch (error) {
      if (!(isDropshipError(error) && error.code === 'CNB_NO_GROUP_PASSED' && cnb.length < order.length)) throw error;
      options.onEvent?.({ type: 'warning', message: `no Cloud Native Buildpack group passed (${(error.details?.groups as string[] | undefined)?.join('; ')}); trying the V2 buildpacks` });
      return undefined;
    }
  }
  return (await cnbKind(options.buildpacks, home, options.buildpacksFrom)) ? cnbBuild({ ...options, home }) : undefined;
}

/**
 * `-b` values for a project.toml group: a registered Cloud Native Buildpack by id (and version),
 * or a buildpack directory inside the app, copied out of it (held open, no link followed) so that
 * what the build mounts is what was judged to be inside the app.
 */
async function projectGroup(project: ProjectDescriptor, appDir: string, stack: string, home: string, scratch: string): Promise<string[]> {
  const registered = await Promise.all((await detectOrder(stack, home)).filter((b) => b.api !== undefined && b.api !== 'v2')
    .map(async (b) => ({ key: b.key, descriptor: await readDescriptor(b.dir) })));
  const values: string[] = [];
  for (const [i, ref] of project.group.entries()) {
    if (ref.uri !== undefined) {
      const held = await openContainedDir(join(appDir, ref.uri), { root: appDir, source: `${project.file}: ${ref.field}.uri` }).catch((error: unknown) => {
        if (isDropshipError(error)) throw error;
        throw new DropshipError('PROJECT_TOML_INVALID', `${project.file}: ${ref.field}.uri: '${ref.uri}' is not a directory in the app (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
          hint: 'give the path of a buildpack directory (with buildpack.toml), relative to project.toml',
        });
      });
      const copy = join(scratch, String(i));
      try {
        await mkdir(copy, { mode: 0o755 });
        await copyTreeNoFollow(heldDirPath(held), copy, { owner: { uid: 0, gid: 0 }, mode: (mode, isDir) => (mode & 0o755) | (isDir ? 0o755 : 0o644), shownAs: join(appDir, ref.uri) });
      } finally {
        await held.close();
      }
      values.push(copy);
      continue;
    }
    const found = registered.find((b) => b.descriptor?.id === ref.id && (ref.version === undefined || b.descriptor?.version === ref.version));
    if (!found) {
      throw new DropshipError('PROJECT_BUILDPACK_NOT_FOUND', `${project.file}: ${ref.field}: no registered Cloud Native Buildpack has id ${ref.id}${ref.version ? ` and version ${ref.version}` : ''}`, {
        hint: `register it with dropship buildpack create NAME DIR (dropship buildpacks lists them), or give uri = "./path" to a buildpack inside the app`,
      });
    }
    values.push(found.key);
  }
  return values;
}

/**
 * Source to image, like `pack build`: Cloud Native Buildpacks through the cnb lifecycle (see
 * buildIfCnb for when), V2 buildpacks through a droplet and `image build`.
 */
export async function buildApp(options: CnbBuildOptions): Promise<AppImage> {
  const home = options.home ?? homePaths().root;
  const cnb = await buildIfCnb({ ...options, home });
  if (cnb) return fromCnb(cnb);
  const started = Date.now();
  const work = await mkdtemp(join(homePaths(home).tmp, 'build-v2-'));
  try {
    const staged = await stage({
      appDir: options.appDir, buildpacks: options.buildpacks, stack: options.stack, name: options.name, env: options.env,
      noCache: options.clearCache, timeout: options.timeout, memory: options.memory, network: options.network, home,
      dropletPath: join(work, 'droplet.tgz'), dropletCompression: 'store', onEvent: options.onEvent, signal: options.signal,
    });
    const stack = await ensureStack(staged.stack, { home: homePaths(home) });
    const built = await buildImage({ droplet: staged.droplet.path, result: staged.result, stack, tag: options.tag, store: openStore(homePaths(home)) });
    return {
      kind: 'v2', name: built.name, tag: built.tag, digest: built.digest, size: built.size, processTypes: built.processTypes,
      ...(built.processTypes.web ? { defaultProcess: 'web' } : {}),
      buildpacks: staged.result.lifecycle_metadata.buildpacks.map((b) => ({ id: b.name, version: b.version })),
      warnings: [...staged.warnings, ...built.warnings, ...(options.sbomOutputDir ? ['--sbom-output-dir: V2 buildpacks write no SBOMs; nothing was written there'] : [])],
      totalMs: Date.now() - started,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
