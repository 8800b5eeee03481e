import { DropshipError } from '../errors.js';
import type { Store } from './layout.js';
import { type Descriptor, type Digest, validateDescriptor } from './digest.js';
import { MANIFEST_TYPES, MediaType } from './media-types.js';

export interface ImageConfig {
  created?: string;
  architecture: string;
  os: string;
  config: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[];
    Cmd?: string[];
    WorkingDir?: string;
    ExposedPorts?: Record<string, Record<string, never>>;
    Labels?: Record<string, string>;
  };
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: Array<{ created?: string; created_by?: string; comment?: string; empty_layer?: boolean }>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** This machine's architecture as OCI names it (Node says x64 where OCI says amd64). */
export function imageArchitecture(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;
}

/** Annotation on a tag in index.json recording the registry reference an image was pulled from. */
export const SOURCE_ANNOTATION = 'io.dropship.source';

/** The labels dropship writes into an image's config. */
export const Label = {
  stack: 'io.dropship.stack',
  stackDigest: 'io.dropship.stack.digest',
  /** sha256 of the stack build's SPDX SBOM (dropship keeps it in stacks/<name>/). */
  stackSbom: 'io.dropship.stack.sbom',
  stackPackages: 'io.dropship.stack.packages',
  buildpacks: 'io.dropship.buildpacks',
  detectedBuildpack: 'io.dropship.buildpack.detected',
  processTypes: 'io.dropship.process-types',
  sourceDigest: 'io.dropship.source.digest',
} as const;

export interface ImageName {
  name: string;
  tag: string;
  /** The ref name in the store's index.json: `name:tag`. */
  ref: string;
}

const NAME_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** `NAME[:TAG]`, the tag defaulting to `latest` as with every container tool. */
export function parseImageName(value: string, what = 'image name'): ImageName {
  const colon = value.lastIndexOf(':');
  const hasTag = colon > 0 && !value.slice(colon).includes('/');
  const name = hasTag ? value.slice(0, colon) : value;
  const tag = hasTag ? value.slice(colon + 1) : 'latest';
  if (!NAME_PATTERN.test(name)) {
    throw new DropshipError('INVALID_IMAGE_NAME', `${what}: '${name}' is not a valid image name`, {
      hint: 'use lower-case letters, digits and . _ - (and / between parts), e.g. myapp or team/myapp',
    });
  }
  if (!TAG_PATTERN.test(tag)) {
    throw new DropshipError('INVALID_IMAGE_NAME', `${what}: '${tag}' is not a valid tag`, {
      hint: 'a tag is up to 128 letters, digits, _ . -, not starting with . or -',
    });
  }
  return { name, tag, ref: `${name}:${tag}` };
}

export function splitRef(ref: string): { name: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  return colon > 0 ? { name: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { name: ref, tag: 'latest' };
}

export interface ResolvedImage extends ImageName {
  descriptor: Descriptor;
  manifest: ImageManifest;
  config: ImageConfig;
}

export async function readManifest(store: Store, descriptor: Descriptor, what: string): Promise<ImageManifest> {
  if (descriptor.mediaType && !MANIFEST_TYPES.includes(descriptor.mediaType)) {
    throw new DropshipError('UNSUPPORTED_MEDIA_TYPE', `${what}: ${descriptor.mediaType} is not an image manifest`, {
      hint: 'dropship handles single-platform images (an OCI or Docker schema 2 manifest)',
    });
  }
  const manifest = await store.blobs.readJson<ImageManifest>(descriptor);
  if (manifest.schemaVersion !== 2 || !manifest.config || !Array.isArray(manifest.layers)) {
    throw new DropshipError('MANIFEST_INVALID', `${what}: manifest ${descriptor.digest} is not a schema 2 image manifest`, {
      hint: 'the image is damaged; rebuild or pull it again',
    });
  }
  validateDescriptor(manifest.config, `${what} config`);
  manifest.layers.forEach((l, i) => validateDescriptor(l, `${what} layers[${i}]`));
  return manifest;
}

export async function readConfig(store: Store, manifest: ImageManifest, what: string): Promise<ImageConfig> {
  const config = await store.blobs.readJson<ImageConfig>(manifest.config);
  if (!config.rootfs || !Array.isArray(config.rootfs.diff_ids) || config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new DropshipError('CONFIG_INVALID', `${what}: config ${manifest.config.digest} has ${config.rootfs?.diff_ids?.length ?? 0} diff_ids for ${manifest.layers.length} layers`, {
      hint: 'the image is damaged; rebuild or pull it again',
    });
  }
  return config;
}

/** A manifest digest given where an image name goes (what a release pins; `run sha256:…` starts from one). */
export const MANIFEST_DIGEST_REF = /^sha256:[0-9a-f]{64}$/;

/**
 * NAME[:TAG] through its tag, or a bare manifest digest straight from the blobs. A digest parses
 * as name `sha256`, tag `<hex>`, so `${name}:${tag}` is the digest again.
 */
export async function resolveImage(store: Store, nameTag: string): Promise<ResolvedImage> {
  if (MANIFEST_DIGEST_REF.test(nameTag)) return resolveManifestDigest(store, nameTag, nameTag as Digest);
  const name = parseImageName(nameTag);
  const descriptor = await store.layout.getRef(name.ref);
  if (!descriptor) {
    throw new DropshipError('IMAGE_NOT_FOUND', `image ${name.ref} is not in the store`, {
      hint: 'list images with dropship image ls; build one with dropship image build or pull one with dropship image pull',
    });
  }
  const manifest = await readManifest(store, descriptor, name.ref);
  const config = await readConfig(store, manifest, name.ref);
  return { ...name, descriptor, manifest, config };
}

/** The manifest `digest` (not what a tag points at now), known to people as `nameTag`. */
export async function resolveManifestDigest(store: Store, nameTag: string, digest: Digest): Promise<ResolvedImage> {
  const name = parseImageName(nameTag);
  const size = await store.blobs.size(digest);
  if (size === undefined) {
    throw new DropshipError('IMAGE_NOT_FOUND', `image ${digest}${nameTag === digest ? '' : ` (${name.ref})`} is not in the store`, {
      hint: 'push the app again, or roll back to a release whose image is still there (dropship releases APP)',
    });
  }
  const descriptor = { mediaType: MediaType.manifest, digest, size };
  const manifest = await readManifest(store, descriptor, digest);
  return { ...name, descriptor, manifest, config: await readConfig(store, manifest, digest) };
}

/** Canonical bytes for a JSON blob: insertion-ordered keys, no whitespace. */
export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** The OCI manifest over a config blob and `layers`; the image-reuse check hashes exactly what commitImage writes. */
export function imageManifest(config: { digest: Digest; size: number }, layers: Descriptor[]): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: MediaType.manifest,
    config: { mediaType: MediaType.config, digest: config.digest, size: config.size },
    layers,
  };
}

/** Write the config and an OCI manifest over `layers`, then point the ref at the manifest. */
export async function commitImage(store: Store, ref: string, layers: Descriptor[], config: ImageConfig): Promise<Descriptor> {
  const descriptor = await writeImage(store, layers, config);
  await store.layout.setRef(ref, descriptor);
  return descriptor;
}

/**
 * The bytes of an image config, labels in key order: whoever wrote them (a build, a CNB export,
 * a rebase that swapped the stack's labels), the same labels give the same digest, so rebasing
 * back onto a stack build gives the original image.
 */
export function configBytes(config: ImageConfig): Buffer {
  const labels = config.config?.Labels;
  if (!labels) return jsonBytes(config);
  const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return jsonBytes({ ...config, config: { ...config.config, Labels: sorted } });
}

/** Write the config and an OCI manifest over `layers`, untagged. */
export async function writeImage(store: Store, layers: Descriptor[], config: ImageConfig): Promise<Descriptor> {
  const configBlob = await store.blobs.writeBytes(configBytes(config));
  const manifest = imageManifest(configBlob, layers);
  const manifestBlob = await store.blobs.writeBytes(jsonBytes(manifest));
  return { mediaType: MediaType.manifest, digest: manifestBlob.digest, size: manifestBlob.size };
}
