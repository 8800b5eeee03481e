// Find, fetch and describe buildpacks; manage the registered ones and the detect order.
export type { Buildpack, BuildpackListing, BuildpackSource } from './types.js';
export { readBuildpackMetadata, type BuildpackMetadata } from './metadata.js';
export { builtinBuildpacksDir, builtinNames } from './builtin.js';
export { extractBuildpackArchive, sniffArchive } from './archive.js';
export { fetchBuildpack, isBuildpackUrl, parseBuildpackUrl, downloadFile, urlCacheKey, type FetchOptions } from './fetch.js';
export { createBuildpack, createGroup, updateBuildpack, deleteBuildpack, listBuildpacks, readOrder, type GroupMemberRef, type RegistryEntry } from './registry.js';
export { resolveBuildpack, detectGroups, detectOrder, supportsStack, type DetectGroup, type ResolveOptions } from './resolve.js';
export { requireExecutable, hasFile } from './check.js';
export { fetchGitBuildpack, isGitBuildpackUrl, parseGitBuildpackUrl } from './git.js';
