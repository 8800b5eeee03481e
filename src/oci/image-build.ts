import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { DropshipError } from '../errors.js';
import { VCAP_GID, VCAP_UID } from '../security/idmap.js';
import { type Descriptor, type Digest, sha256Digest } from './digest.js';
import { launcherTail, writeDropletLayer } from './droplet-layer.js';
import { type ImageConfig, type ImageManifest, type ImageName, Label, commitImage, configBytes, imageArchitecture, imageManifest, jsonBytes, parseImageName, readManifest } from './image.js';
import { APP_DIR, LAUNCHER_PATH } from './launcher.js';
import { type Store, openStore } from './layout.js';
import { MediaType } from './media-types.js';
import { withImageLock } from './store-lock.js';
import { reproducibleMtime } from './tar-write.js';

/** The stack build an image sits on (the stack room's StackInfo has these fields). */
export interface BaseLayer {
  name: string;
  diffId: Digest;
  digest: Digest;
  size: number;
  mediaType?: string;
  /** The build's SBOM: its digest and package count, labelled on the image. */
  sbom?: { digest: Digest; packages: number };
}

/** The parts of staging's result.json that go into an image. */
export interface ImageResultJson {
  lifecycle_metadata?: {
    detected_buildpack?: string;
    buildpack_key?: string;
    buildpacks?: Array<{ key?: string; name?: string; version?: string }>;
  };
  process_types?: Record<string, string>;
  processes?: Array<{ type: string; command: string }>;
}

export interface BuildImageOptions {
  droplet: string;
  /** result.json: a path or its parsed content. */
  result?: string | ImageResultJson;
  stack: BaseLayer;
  /** NAME[:TAG] */
  tag: string;
  /** Seconds since 1970 for mtimes and `created`; default SOURCE_DATE_EPOCH or 1980-01-01T00:00:01Z. */
  sourceDateEpoch?: number;
  store?: Store;
}

export interface BuiltImage {
  name: string;
  tag: string;
  digest: Digest;
  size: number;
  layers: Array<{ digest: Digest; diffId: Digest; size: number }>;
  startCommand?: string;
  processTypes: Record<string, string>;
  warnings: string[];
  /** The tag already held exactly this image, so no layer was written. */
  reused: boolean;
}

/** The stack layer's descriptor, from the store: a stack whose build was lost cannot be a base. */
export async function baseLayerDescriptor(store: Store, stack: BaseLayer): Promise<Descriptor> {
  const size = await store.blobs.size(stack.digest);
  if (size === undefined) {
    throw new DropshipError('STACK_LAYER_MISSING', `the layer of stack ${stack.name} (${stack.digest}) is not in the store`, {
      hint: `run dropship stack build ${stack.name}`,
    });
  }
  return { mediaType: stack.mediaType ?? MediaType.layer, digest: stack.digest, size };
}

/** What an image says about its stack; rebase rewrites exactly these. */
export function stackLabels(stack: BaseLayer): Record<string, string> {
  const sbom: Record<string, string> = stack.sbom ? { [Label.stackSbom]: stack.sbom.digest, [Label.stackPackages]: String(stack.sbom.packages) } : {};
  return { [Label.stack]: stack.name, [Label.stackDigest]: stack.diffId, ...sbom };
}

/** Every label stackLabels may write: a rebase drops them all before writing the new stack's. */
export const STACK_LABELS: readonly string[] = [Label.stack, Label.stackDigest, Label.stackSbom, Label.stackPackages];

export function stackHistory(stack: BaseLayer, created: string | undefined): NonNullable<ImageConfig['history']>[number] {
  return { created, created_by: `dropship stack build ${stack.name}`, comment: `stack ${stack.name} ${stack.diffId}` };
}

const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

async function loadResult(result: BuildImageOptions['result']): Promise<ImageResultJson | undefined> {
  if (result === undefined || typeof result === 'object') return result;
  try {
    return JSON.parse(await readFile(result, 'utf8')) as ImageResultJson;
  } catch (error) {
    throw new DropshipError('RESULT_UNREADABLE', `cannot read staging result ${result}: ${(error as Error).message}`, {
      cause: error,
      hint: 'give the result.json that dropship stage wrote beside the droplet, or leave --result out',
    });
  }
}

/** Process types: result.json's processes, then its process_types, then the droplet's start command as web. */
function processTypesOf(result: ImageResultJson | undefined, startCommand: string | undefined): Record<string, string> {
  const types: Record<string, string> = {};
  for (const [type, command] of Object.entries(result?.process_types ?? {})) types[type] = command;
  for (const p of result?.processes ?? []) types[p.type] = p.command;
  if (types.web === undefined && startCommand) types.web = startCommand;
  return Object.fromEntries(Object.entries(types).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A droplet on a stack as an OCI image in the store: the stack's layer (reused by digest) and
 * the droplet layer, a config that runs the web process through the launcher, tagged NAME:TAG.
 * Everything is derived from the inputs and the fixed epoch, so the same droplet on the same
 * stack build gives the same manifest digest.
 */
export async function buildImage(options: BuildImageOptions): Promise<BuiltImage> {
  const name = parseImageName(options.tag, '--tag');
  const store = options.store ?? openStore();
  const epoch = options.sourceDateEpoch ?? reproducibleMtime();
  const result = await loadResult(options.result);
  await store.layout.ensure();
  return withImageLock(store, () => buildLocked(store, name, options, epoch, result));
}

interface ConfigInput {
  stack: BaseLayer;
  created: string;
  diffId: Digest;
  sourceDigest: Digest;
  processTypes: Record<string, string>;
  result: ImageResultJson | undefined;
  detected: string;
}

function imageConfig({ stack, created, diffId, sourceDigest, processTypes, result, detected }: ConfigInput): ImageConfig {
  const startCommand = processTypes.web;
  // Name and version only: a buildpack's key can be a path on the staging host, which would make
  // the digest depend on where the checkout lives.
  const buildpacks = (result?.lifecycle_metadata?.buildpacks ?? []).map((b) => ({ name: b.name ?? '', version: b.version ?? '' }));
  const labels: Record<string, string> = {
    ...stackLabels(stack),
    [Label.buildpacks]: JSON.stringify(buildpacks),
    [Label.detectedBuildpack]: detected,
    [Label.processTypes]: JSON.stringify(processTypes),
    [Label.sourceDigest]: sourceDigest,
  };
  return {
    created,
    architecture: imageArchitecture(),
    os: 'linux',
    config: {
      User: `${VCAP_UID}:${VCAP_GID}`,
      Env: [`PATH=${IMAGE_PATH}`, 'LANG=en_US.UTF-8', `HOME=${APP_DIR}`, 'TMPDIR=/home/vcap/tmp', 'DEPS_DIR=/home/vcap/deps', 'PORT=8080'],
      Entrypoint: [LAUNCHER_PATH],
      ...(startCommand !== undefined ? { Cmd: [startCommand] } : {}),
      WorkingDir: APP_DIR,
      ExposedPorts: { '8080/tcp': {} },
      Labels: labels,
    },
    rootfs: { type: 'layers', diff_ids: [stack.diffId, diffId] },
    history: [
      stackHistory(stack, created),
      { created, created_by: 'dropship image build', comment: `droplet ${sourceDigest}` },
    ],
  };
}

async function fileDigest(path: string): Promise<Digest> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** Does the stored layer end with this build's launcher entry? Then it was written by the same layer format. */
async function endsWithLauncher(path: string, mtime: number): Promise<boolean> {
  const tail = Buffer.concat(launcherTail(mtime));
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    if (size < tail.length) return false;
    const got = Buffer.alloc(tail.length);
    await file.read(got, 0, tail.length, size - tail.length);
    return got.equals(tail);
  } finally {
    await file.close();
  }
}

/**
 * The image the tag already points at, when it is byte for byte what this build would write:
 * a re-push of an unchanged app (the droplet is reproducible) then costs a hash of the droplet
 * instead of a new layer. Anything that cannot be checked without reading the droplet (a web
 * command or detected buildpack only in staging_info.yml) means a full build.
 */
async function reusableImage(store: Store, name: ImageName, options: BuildImageOptions, base: Descriptor, created: string, epoch: number, result: ImageResultJson | undefined): Promise<BuiltImage | undefined> {
  const processTypes = processTypesOf(result, undefined);
  const detected = result?.lifecycle_metadata?.detected_buildpack;
  if (processTypes.web === undefined || detected === undefined) return undefined;
  const current = await store.layout.getRef(name.ref);
  if (!current) return undefined;
  let manifest: ImageManifest;
  try {
    manifest = await readManifest(store, current, name.ref);
  } catch {
    return undefined;
  }
  const [stackLayer, dropletLayer, ...more] = manifest.layers;
  if (!stackLayer || !dropletLayer || more.length || stackLayer.digest !== base.digest) return undefined;
  if (!(await store.blobs.has(dropletLayer.digest)) || !(await endsWithLauncher(store.blobs.path(dropletLayer.digest), epoch))) return undefined;
  const sourceDigest = await fileDigest(options.droplet);
  const config = imageConfig({ stack: options.stack, created, diffId: dropletLayer.digest, sourceDigest, processTypes, result, detected });
  const bytes = configBytes(config);
  const expected = imageManifest({ digest: sha256Digest(bytes), size: bytes.length }, [
    base,
    { mediaType: MediaType.layer, digest: dropletLayer.digest, size: dropletLayer.size },
  ]);
  if (sha256Digest(jsonBytes(expected)) !== current.digest || !(await store.blobs.has(expected.config.digest))) return undefined;
  return builtImage(name, options.stack, base, dropletLayer, dropletLayer.digest, current.digest, processTypes, [], true);
}

async function buildLocked(store: Store, name: ImageName, options: BuildImageOptions, epoch: number, result: ImageResultJson | undefined): Promise<BuiltImage> {
  const created = new Date(epoch * 1000).toISOString();
  const stack = options.stack;
  const base = await baseLayerDescriptor(store, stack);
  const reused = await reusableImage(store, name, options, base, created, epoch, result);
  if (reused) return reused;
  const droplet = await writeDropletLayer(options.droplet, store.blobs, { mtime: epoch });
  const warnings = droplet.skipped.map((s) => `skipped droplet entry ${s}: only files, directories and links go into images`);
  const processTypes = processTypesOf(result, droplet.stagingInfo?.start_command);
  const startCommand = processTypes.web;
  if (startCommand === undefined) {
    warnings.push(`the droplet has no web start command (no web process in result.json, no start_command in staging_info.yml): the image needs a command when run`);
  }
  const config = imageConfig({ stack, created, diffId: droplet.diffId, sourceDigest: droplet.sourceDigest, processTypes, result,
    detected: result?.lifecycle_metadata?.detected_buildpack ?? droplet.stagingInfo?.detected_buildpack ?? '' });
  const descriptor = await commitImage(store, name.ref, [base, droplet.descriptor], config);
  return builtImage(name, stack, base, droplet.descriptor, droplet.diffId, descriptor.digest, processTypes, warnings, false);
}

function builtImage(name: ImageName, stack: BuildImageOptions['stack'], base: Descriptor, droplet: Descriptor, dropletDiffId: Digest,
  digest: Digest, processTypes: Record<string, string>, warnings: string[], reused: boolean): BuiltImage {
  return {
    name: name.name,
    tag: name.tag,
    digest,
    size: base.size + droplet.size,
    layers: [
      { digest: base.digest, diffId: stack.diffId, size: base.size },
      { digest: droplet.digest, diffId: dropletDiffId, size: droplet.size },
    ],
    startCommand: processTypes.web,
    processTypes,
    warnings,
    reused,
  };
}
