// The cnb room: a Cloud Native Buildpacks platform (detect, build, export, rebase labels) run
// in the staging container, and `dropship build`'s source-to-image for both buildpack kinds.
export { buildApp, buildIfCnb, type AppImage } from './build-app.js';
export { cnbBuild, type CnbBuildOptions, type CnbBuildResult } from './lifecycle.js';
export { parseDescriptor, readDescriptor, SUPPORTED_BUILDPACK_APIS, type CnbDescriptor } from './descriptor.js';
export { CnbLabel } from './export.js';
