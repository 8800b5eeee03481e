import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { DropshipError } from '../errors.js';
import type { BlobStore } from './cas.js';
import { type Descriptor, type Digest, validateDescriptor } from './digest.js';
import { ForeignLayout, MAX_INDEX_BYTES } from './foreign-layout.js';
import { parseImageName, readConfig, readManifest } from './image.js';
import { type ImageIndex, type Store, openStore } from './layout.js';
import { REF_NAME } from './media-types.js';
import { withImageLock } from './store-lock.js';

export interface ImportOptions {
  /** NAME[:TAG] for the imported image; only when the source has one ref. */
  tag?: string;
  store?: Store;
}

export interface ImportedImage {
  name: string;
  tag: string;
  digest: Digest;
  sourceRef: string;
}

/** A ref of the source layout as a local NAME:TAG: kept when it is one, else `<file name>:<ref>`. */
function localName(sourceRef: string, source: string, tag?: string): { name: string; tag: string; ref: string } {
  if (tag) return parseImageName(tag, '--tag');
  if (sourceRef.includes(':')) {
    try {
      return parseImageName(sourceRef);
    } catch {
      // not a NAME:TAG; fall through to the file name
    }
  }
  const base = basename(source, extname(source)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|[._-]+$/g, '') || 'imported';
  return parseImageName(`${base}:${sourceRef}`, 'imported image name');
}

/**
 * Copy images from an OCI layout directory or an OCI archive (a tar of one) into the store. Every
 * blob is verified against its digest on the way in; an archive is read in one pass with its blobs
 * streamed straight into the store, and only `blobs/sha256/<hex>`, `index.json` and `oci-layout`
 * are accepted from it. Manifests are kept byte for byte, so digests survive the trip.
 */
export async function importImage(source: string, options: ImportOptions = {}): Promise<ImportedImage[]> {
  const store = options.store ?? openStore();
  const info = await stat(source).catch((error: unknown) => {
    throw new DropshipError('IMPORT_SOURCE', `cannot import ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      cause: error,
      hint: 'give an OCI layout directory or an OCI archive (.tar)',
    });
  });
  await store.layout.ensure();
  return withImageLock(store, async () => {
    let index: ImageIndex;
    if (info.isDirectory()) {
      const from = new ForeignLayout(source);
      index = parseIndex(await from.readIndexText(), `${source}/index.json`);
      const copy = async (d: Descriptor) => {
        if (!(await store.blobs.has(d.digest))) await store.blobs.writeStream(await from.openBlob(d), { expectedDigest: d.digest, expectedSize: d.size });
      };
      for (const entry of index.manifests) {
        await copy(entry);
        const manifest = await readManifest(store, entry, `${source} ${entry.annotations?.[REF_NAME] ?? entry.digest}`);
        for (const d of [manifest.config, ...manifest.layers]) await copy(d);
      }
    } else {
      index = await importArchive(source, store.blobs);
    }
    const refs = index.manifests.filter((d) => d.annotations?.[REF_NAME]);
    if (refs.length === 0) {
      throw new DropshipError('IMPORT_NO_REFS', `${source} has no tagged image (no ${REF_NAME} annotation in index.json)`, {
        hint: 'export the image with a tag (skopeo copy … oci:DIR:TAG)',
      });
    }
    if (options.tag && refs.length > 1) {
      throw new DropshipError('IMPORT_TAG_AMBIGUOUS', `${source} holds ${refs.length} images; --tag names one`, {
        hint: 'import without --tag to keep each image under its ref name',
      });
    }
    const imported: ImportedImage[] = [];
    for (const entry of refs) {
      const sourceRef = entry.annotations![REF_NAME]!;
      const name = localName(sourceRef, source, options.tag);
      const manifest = await readManifest(store, entry, `${source} ${sourceRef}`);
      await readConfig(store, manifest, `${source} ${sourceRef}`);
      for (const layer of manifest.layers) {
        if (!(await store.blobs.has(layer.digest))) {
          throw new DropshipError('IMPORT_BLOB_MISSING', `${source} ${sourceRef}: layer ${layer.digest} is not in the source`, {
            hint: 'the layout or archive is incomplete; export it again',
          });
        }
      }
      const { annotations: _drop, ...descriptor } = entry;
      await store.layout.setRef(name.ref, descriptor);
      imported.push({ name: name.name, tag: name.tag, digest: entry.digest, sourceRef });
    }
    return imported;
  });
}

async function importArchive(file: string, blobs: BlobStore): Promise<ImageIndex> {
  const extract = tar.extract();
  const entries = extract[Symbol.asyncIterator]();
  const feeding = pipeline(createReadStream(file), extract);
  feeding.catch(() => undefined);
  let indexText: string | undefined;
  try {
    for (let next = await entries.next(); !next.done; next = await entries.next()) {
      const entry = next.value;
      const member = archiveMember(file, entry.header);
      if (member.kind === 'dir' || member.kind === 'oci-layout') {
        entry.resume();
      } else if (member.kind === 'blob') {
        await blobs.writeStream(entry as unknown as AsyncIterable<Uint8Array>, { expectedDigest: member.digest, expectedSize: entry.header.size });
      } else {
        if (indexText !== undefined) throw badMember(file, entry.header.name, 'a second index.json');
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        indexText = Buffer.concat(chunks).toString('utf8');
      }
    }
    await feeding;
  } catch (error) {
    extract.destroy();
    await feeding.catch(() => undefined);
    if (error instanceof DropshipError) throw error;
    throw new DropshipError('IMPORT_UNREADABLE', `cannot read OCI archive ${file}: ${(error as Error).message}`, { cause: error, hint: 'give a tar of an OCI layout' });
  }
  if (indexText === undefined) {
    throw new DropshipError('IMPORT_NO_INDEX', `${file} has no index.json`, { hint: 'an OCI archive is a tar of an OCI layout directory' });
  }
  return parseIndex(indexText, `${file}: index.json`);
}

type Member = { kind: 'dir' | 'oci-layout' | 'index' } | { kind: 'blob'; digest: Digest };

/**
 * What an archive member may be: nothing but the layout's own plain files and directories. The
 * members never become paths on the host (blobs stream into the store under their digest), but a
 * link, a device, `..` or an absolute name has no business in an image archive and is named.
 */
function archiveMember(file: string, header: tar.Header): Member {
  const raw = header.name;
  if (raw.startsWith('/')) throw badMember(file, raw, 'an absolute name');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw badMember(file, raw, "'..' in the name");
  if (header.type !== 'file' && header.type !== 'directory') throw badMember(file, raw, `a ${header.type} (links and devices are not allowed)`);
  const name = parts.join('/');
  if (header.type === 'directory') {
    if (name === 'blobs' || name === 'blobs/sha256') return { kind: 'dir' };
  } else if (name === 'oci-layout') {
    return { kind: 'oci-layout' };
  } else if (name === 'index.json') {
    if ((header.size ?? 0) > MAX_INDEX_BYTES) throw badMember(file, raw, `an index.json of ${header.size} bytes`);
    return { kind: 'index' };
  } else {
    const blob = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
    if (blob) return { kind: 'blob', digest: `sha256:${blob[1]}` };
  }
  throw badMember(file, raw, `an unexpected ${header.type}`);
}

function badMember(file: string, name: string, what: string): DropshipError {
  return new DropshipError('IMPORT_BAD_ENTRY', `${file}: archive entry '${name}' is ${what}`, {
    hint: 'an OCI archive holds only oci-layout, index.json and blobs/sha256/<digest>; this one is damaged or hostile, export the image again',
  });
}

function parseIndex(text: string, where: string): ImageIndex {
  let index: ImageIndex;
  try {
    index = JSON.parse(text) as ImageIndex;
  } catch (error) {
    throw new DropshipError('IMPORT_NO_INDEX', `${where} is not valid JSON`, { cause: error, hint: 'the layout or archive is damaged; export the image again' });
  }
  if (index === null || typeof index !== 'object' || index.schemaVersion !== 2 || !Array.isArray(index.manifests)) {
    throw new DropshipError('IMPORT_NO_INDEX', `${where} is not an OCI image index`, { hint: 'give an OCI layout directory or a tar of one' });
  }
  index.manifests.forEach((d, i) => validateDescriptor(d, `${where} manifests[${i}]`));
  return index;
}
