/** Media types dropship writes and the ones it accepts from registries (OCI and Docker schema 2). */
export const MediaType = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export const MANIFEST_TYPES: readonly string[] = [MediaType.manifest, MediaType.dockerManifest];
export const INDEX_TYPES: readonly string[] = [MediaType.index, MediaType.dockerManifestList];

export function isGzipLayer(mediaType: string): boolean {
  return mediaType === MediaType.layerGzip || mediaType === MediaType.dockerLayerGzip;
}

/** The annotation that names a tag in an OCI layout's index.json. */
export const REF_NAME = 'org.opencontainers.image.ref.name';
