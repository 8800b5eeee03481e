// The oci room: content-addressed blobs, the image layout, reproducible tars, layers.
export { type Digest, type Descriptor, isDigest, parseDigest, digestHex, sha256Digest, validateDescriptor } from './digest.js';
export { BlobStore, type WriteOptions, type WrittenBlob } from './cas.js';
export { ImageLayout, openStore, type ImageIndex, type Ref, type Store } from './layout.js';
export { MediaType, REF_NAME, MANIFEST_TYPES, INDEX_TYPES, isGzipLayer } from './media-types.js';
export { packDirectory, packEntries, reproducibleMtime, DEFAULT_MTIME, type PackEntry, type PackOptions, type TarHeader } from './tar-write.js';
export { writeLayer, type WriteLayerOptions, type WrittenLayer } from './layer-write.js';
export { unpackLayer, decompressIfGzip, type UnpackOptions, type UnpackResult } from './layer-unpack.js';
export { ensureUnpacked, unpackedPath, listUnpacked, type LayerRef, type UnpackedLayer } from './unpack-cache.js';
export { LAUNCHER_PATH, launcherScript } from './launcher.js';
export { writeDropletLayer, type DropletLayer } from './droplet-layer.js';
export { parseImageName, resolveImage, Label, type ImageConfig, type ImageManifest, type ImageName, type ResolvedImage } from './image.js';
export { buildImage, type BaseLayer, type BuildImageOptions, type BuiltImage, type ImageResultJson } from './image-build.js';
export { listImages, inspectImage, removeImage, type ImageSummary, type ImageDetails } from './inspect.js';
export { exportImage, type ExportTarget, type ExportResult } from './export.js';
export { importImage, type ImportOptions, type ImportedImage } from './import.js';
export { rebaseImage, type RebaseOptions, type RebaseResult } from './rebase.js';
export { gc, type GcOptions, type GcResult } from './gc.js';
export * from './registry/index.js';
// Seams for the cnb room's exporter: the same base layer, labels, commit and lock as image build.
export { baseLayerDescriptor, stackLabels, stackHistory } from './image-build.js';
export { commitImage, imageArchitecture } from './image.js';
export { withImageLock } from './store-lock.js';
