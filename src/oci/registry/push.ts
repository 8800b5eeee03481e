import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { DropshipError } from '../../errors.js';
import type { Digest } from '../digest.js';
import { exportPlan } from '../export.js';
import { type Store, openStore } from '../layout.js';
import { knownRepository, rememberRepository } from './blob-locations.js';
import { RegistryClient, type RegistryClientOptions, type RegistryStats } from './client.js';
import type { Credentials } from './credentials.js';
import { formatRegistryReference, parseRegistryReference } from './reference.js';

export interface TransferOptions {
  insecure?: boolean;
  credentials?: Credentials;
  store?: Store;
  /** Tuning and test hooks passed to the client (chunk sizes, retries). */
  client?: Partial<Pick<RegistryClientOptions, 'chunkSize' | 'monolithicLimit' | 'retries' | 'retryDelayMs'>>;
  onProgress?: (message: string) => void;
}

export interface PushResult {
  reference: string;
  digest: Digest;
  blobs: Array<{ digest: Digest; size: number; outcome: 'exists' | 'mounted' | 'uploaded' }>;
  stats: RegistryStats;
}

/**
 * Push NAME[:TAG] to REGISTRY/REPO[:TAG]: layers gzipped (cached per diff_id), blobs the registry
 * has are skipped after a HEAD, blobs another repository of it has are mounted, the rest uploaded;
 * then the manifest is PUT with its media type.
 */
export async function pushImage(nameTag: string, target: string, options: TransferOptions = {}): Promise<PushResult> {
  const store = options.store ?? openStore();
  const ref = parseRegistryReference(target);
  if (ref.digest) {
    throw new DropshipError('PUSH_TO_DIGEST', `cannot push to ${target}: a digest names content, not a place`, {
      hint: 'push to REGISTRY/REPO:TAG; the registry answers with the digest',
    });
  }
  const progress = options.onProgress ?? (() => undefined);
  progress(`preparing ${nameTag} (gzip layers)`);
  const plan = await exportPlan(store, nameTag);
  const client = new RegistryClient({ registry: ref.registry, repository: ref.repository, insecure: options.insecure, credentials: options.credentials, ...options.client });
  const mounts = new Map<string, string>();
  for (const blob of plan.blobs) {
    const from = await knownRepository(store, ref.registry, blob.digest);
    if (from && from !== ref.repository) mounts.set(blob.digest, from);
  }
  await client.authenticate('pull,push', [...new Set(mounts.values())].map((repo) => `repository:${repo}:pull`));
  const blobs: PushResult['blobs'] = [];
  for (const blob of plan.blobs) {
    const path = store.blobs.path(blob.digest);
    const open = (start: number, end: number) => (blob.size === 0 ? Readable.from([]) : createReadStream(path, { start, end, highWaterMark: 1024 * 1024 }));
    const outcome = await client.uploadBlob(blob, open, mounts.get(blob.digest));
    progress(`${blob.digest.slice(0, 19)} ${outcome}`);
    blobs.push({ digest: blob.digest, size: blob.size, outcome });
  }
  const digest = (await client.putManifest(ref.tag!, plan.manifest.mediaType, plan.manifestBytes)) as Digest;
  await rememberRepository(store, ref.registry, ref.repository, plan.blobs.map((b) => b.digest));
  progress(`pushed ${formatRegistryReference(ref)}@${digest}`);
  return { reference: formatRegistryReference(ref), digest, blobs, stats: client.stats };
}
