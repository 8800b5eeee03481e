import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { homePaths, type HomePaths } from '../home.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { isFile, readTextIfExists } from '../util/fs.js';
import { withLock } from '../util/lock.js';
import { BlobStore } from './cas.js';
import { type Descriptor, validateDescriptor } from './digest.js';
import { MediaType, REF_NAME } from './media-types.js';

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface Ref {
  name: string;
  descriptor: Descriptor;
}

const LAYOUT_VERSION = '{"imageLayoutVersion":"1.0.0"}\n';

/**
 * The references of an OCI image layout: index.json holds one manifest descriptor per tag, the
 * tag in the `org.opencontainers.image.ref.name` annotation. Every change is a read-modify-write
 * of index.json under a lock, written to a temp file and renamed, so two dropship processes
 * never lose each other's tags and readers (skopeo, umoci) never see half a file.
 */
export class ImageLayout {
  readonly indexPath: string;
  private readonly lockPath: string;

  constructor(readonly dir: string) {
    this.indexPath = join(dir, 'index.json');
    this.lockPath = join(dir, '.index.lock');
  }

  async ensure(): Promise<void> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    if (!(await isFile(join(this.dir, 'oci-layout')))) await writeFileAtomic(join(this.dir, 'oci-layout'), LAYOUT_VERSION);
    if (!(await isFile(this.indexPath))) {
      await withLock(this.lockPath, async () => {
        if (!(await isFile(this.indexPath))) await writeJsonAtomic(this.indexPath, emptyIndex());
      });
    }
  }

  async readIndex(): Promise<ImageIndex> {
    const text = await readTextIfExists(this.indexPath);
    if (text === undefined) return emptyIndex();
    let index: ImageIndex;
    try {
      index = JSON.parse(text) as ImageIndex;
    } catch (error) {
      throw new DropshipError('INDEX_CORRUPT', `${this.indexPath} is not valid JSON`, {
        cause: error,
        hint: 'restore the file from a backup, or remove it to start with no tags (blobs stay)',
      });
    }
    if (index.schemaVersion !== 2 || !Array.isArray(index.manifests)) {
      throw new DropshipError('INDEX_CORRUPT', `${this.indexPath}: not an OCI image index (schemaVersion 2 with manifests)`, {
        hint: 'restore the file from a backup, or remove it to start with no tags (blobs stay)',
      });
    }
    index.manifests.forEach((d, i) => validateDescriptor(d, `${this.indexPath} manifests[${i}]`));
    return index;
  }

  /** Change index.json atomically: `fn` gets the current index and returns the new one. */
  async update(fn: (index: ImageIndex) => ImageIndex | Promise<ImageIndex>): Promise<ImageIndex> {
    await this.ensure();
    return withLock(this.lockPath, async () => {
      const next = await fn(await this.readIndex());
      await writeJsonAtomic(this.indexPath, next);
      return next;
    });
  }

  async refs(): Promise<Ref[]> {
    const index = await this.readIndex();
    return index.manifests
      .filter((d) => typeof d.annotations?.[REF_NAME] === 'string')
      .map((d) => ({ name: d.annotations![REF_NAME]!, descriptor: d }));
  }

  async getRef(name: string): Promise<Descriptor | undefined> {
    return (await this.refs()).find((r) => r.name === name)?.descriptor;
  }

  /** Point `name` at a manifest, replacing what it pointed at before. */
  async setRef(name: string, descriptor: Descriptor): Promise<void> {
    validateDescriptor(descriptor, `descriptor for ${name}`);
    if (!name) throw new DropshipError('INVALID_REF', 'a ref name must not be empty', { hint: 'give the image a tag, like myapp:latest' });
    await this.update((index) => ({
      ...index,
      manifests: [
        ...index.manifests.filter((d) => d.annotations?.[REF_NAME] !== name),
        { ...descriptor, annotations: { ...descriptor.annotations, [REF_NAME]: name } },
      ],
    }));
  }

  /** Returns whether the ref existed. */
  async removeRef(name: string): Promise<boolean> {
    let existed = false;
    await this.update((index) => {
      const manifests = index.manifests.filter((d) => d.annotations?.[REF_NAME] !== name);
      existed = manifests.length !== index.manifests.length;
      return { ...index, manifests };
    });
    return existed;
  }
}

function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: MediaType.index, manifests: [] };
}

export interface Store {
  blobs: BlobStore;
  layout: ImageLayout;
}

/** The store of one dropship home: blobs and refs share the OCI layout directory. */
export function openStore(home: HomePaths = homePaths()): Store {
  return { blobs: new BlobStore(home.oci), layout: new ImageLayout(home.oci) };
}
