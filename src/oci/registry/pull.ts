import { DropshipError } from '../../errors.js';
import { type Descriptor, type Digest, digestHex, validateDescriptor } from '../digest.js';
import { type ImageConfig, type ImageManifest, SOURCE_ANNOTATION, imageArchitecture, parseImageName } from '../image.js';
import { openStore } from '../layout.js';
import { INDEX_TYPES, MANIFEST_TYPES } from '../media-types.js';
import { withImageLock } from '../store-lock.js';
import { rememberRepository } from './blob-locations.js';
import { RegistryClient, type RegistryStats } from './client.js';
import type { TransferOptions } from './push.js';
import { parseRegistryReference } from './reference.js';

export interface PullOptions extends TransferOptions {
  /** NAME[:TAG] in the store; default REPO:TAG. */
  tag?: string;
}

export interface PullResult {
  name: string;
  tag: string;
  /** The registry's manifest digest, kept: the store holds the manifest byte for byte. */
  digest: Digest;
  reference: string;
  layers: Descriptor[];
  stats: RegistryStats;
}

/** A manifest or index as the registry sent it; broken JSON is the registry's damage, said as such. */
function parseRegistryJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (error) {
    throw new DropshipError('MANIFEST_INVALID', `${what} is not valid JSON`, { cause: error, hint: 'the image in the registry is damaged; push it again' });
  }
}

/**
 * Pull REGISTRY/REPO[:TAG|@sha256:…] into the store: the manifest verified against its digest,
 * each missing blob streamed into the store and verified as it arrives (nothing unverified is
 * kept), then tagged. An index is resolved to the linux image of this machine's architecture.
 */
export async function pullImage(source: string, options: PullOptions = {}): Promise<PullResult> {
  const store = options.store ?? openStore();
  const ref = parseRegistryReference(source);
  const local = parseImageName(options.tag ?? `${ref.repository}:${ref.tag ?? `sha256-${digestHex(ref.digest as Digest).slice(0, 12)}`}`, '--tag');
  const progress = options.onProgress ?? (() => undefined);
  const client = new RegistryClient({ registry: ref.registry, repository: ref.repository, insecure: options.insecure, credentials: options.credentials, ...options.client });
  await client.authenticate('pull');
  let fetched = await client.getManifest(ref.digest ?? ref.tag!, [...MANIFEST_TYPES, ...INDEX_TYPES]);
  if (INDEX_TYPES.includes(fetched.mediaType)) {
    const index = parseRegistryJson<{ manifests?: Descriptor[] }>(fetched.bytes, `${source}: the image index`);
    const child = (index.manifests ?? []).find((m) => m.platform?.os === 'linux' && m.platform.architecture === imageArchitecture());
    if (!child) {
      throw new DropshipError('PULL_NO_PLATFORM', `${source} has no linux/${imageArchitecture()} image`, {
        hint: 'pull an image built for this machine',
      });
    }
    fetched = await client.getManifest(validateDescriptor(child, `${source} index entry`).digest, MANIFEST_TYPES);
  }
  if (!MANIFEST_TYPES.includes(fetched.mediaType)) {
    throw new DropshipError('UNSUPPORTED_MEDIA_TYPE', `${source}: manifest media type '${fetched.mediaType}' is not an image manifest dropship reads`, {
      hint: 'dropship pulls OCI and Docker schema 2 image manifests',
    });
  }
  const manifest = parseRegistryJson<ImageManifest>(fetched.bytes, `${source}: the manifest`);
  if (!Array.isArray(manifest.layers)) {
    throw new DropshipError('MANIFEST_INVALID', `${source}: the manifest has no layers list`, { hint: 'the image in the registry is damaged; push it again' });
  }
  validateDescriptor(manifest.config, `${source} config`);
  manifest.layers.forEach((l, i) => validateDescriptor(l, `${source} layers[${i}]`));
  await store.layout.ensure();
  return withImageLock(store, async () => {
    for (const blob of [manifest.config, ...manifest.layers]) {
      if ((await store.blobs.size(blob.digest)) === blob.size) {
        progress(`${blob.digest.slice(0, 19)} already in the store`);
        continue;
      }
      progress(`${blob.digest.slice(0, 19)} downloading ${blob.size} bytes`);
      try {
        await store.blobs.writeStream(await client.openBlob(blob), { expectedDigest: blob.digest, expectedSize: blob.size });
      } catch (error) {
        if (!(error instanceof DropshipError) || !/^BLOB_(DIGEST|SIZE)_MISMATCH$/.test(error.code)) throw error;
        throw new DropshipError('DIGEST_MISMATCH', `${source}: the registry sent blob ${blob.digest} with other content: ${error.message}`, {
          cause: error,
          hint: 'the blob was changed in the registry or in transit; nothing was stored. Push the image again from a trusted store',
        });
      }
    }
    const config = await store.blobs.readJson<ImageConfig>(manifest.config);
    if (config.rootfs?.diff_ids?.length !== manifest.layers.length) {
      throw new DropshipError('CONFIG_INVALID', `${source}: the config lists ${config.rootfs?.diff_ids?.length ?? 0} diff_ids for ${manifest.layers.length} layers`, {
        hint: 'the image in the registry is damaged',
      });
    }
    const written = await store.blobs.writeBytes(fetched.bytes);
    const reference = `${ref.registry}/${ref.repository}@${fetched.digest}`;
    await store.layout.setRef(local.ref, { mediaType: fetched.mediaType, digest: written.digest, size: written.size, annotations: { [SOURCE_ANNOTATION]: reference } });
    await rememberRepository(store, ref.registry, ref.repository, [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]);
    return { name: local.name, tag: local.tag, digest: fetched.digest as Digest, reference, layers: manifest.layers, stats: client.stats };
  });
}
