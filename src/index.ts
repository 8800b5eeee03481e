// The library API: the CLI and the tests use dropship through this file.
export { DropshipError, isDropshipError } from './errors.js';
export { dropshipHome, homePaths, type HomePaths } from './home.js';
export * from './app/index.js';
export { runTask, stackLowerDirs, type TaskOptions, type TaskResult } from './app/task.js';
export {
  createContainer, listContainers, cleanupContainer, installCleanupHandlers, buildSpec,
  type Container, type ContainerOptions, type ContainerSummary, type ExecOptions, type ExitInfo,
} from './container/index.js';
export {
  defaultIdMap, defaultSeccompProfile, apparmorProfileText, checkProfile, loadProfile, DEFAULT_CAPABILITIES, type IdMap,
} from './security/index.js';
export * from './oci/index.js';
export * from './stack/index.js';
export * from './staging/index.js';
export * from './buildpack/index.js';
export * from './network/index.js';
// Both the app router and the network data path name a Backend: the library keeps the router's until it goes.
export type { Backend } from './app/index.js';
export type { Backend as DataPathBackend } from './network/index.js';
export { doctor, type DoctorReport, type CheckResult } from './doctor/index.js';
