// The supported library API, `import { … } from 'dropship'`: what the README documents. The
// CLI and the tests reach deeper into the rooms; those internals may change without notice.
// Conventions: env is a record; sizes are `256M`/`1G` (a bare number in text is megabytes);
// durations are `timeout`, written `30s`/`15m` or a number of seconds.
export { DropshipError, isDropshipError } from './errors.js';

// push: source to a running app
export { pushApp, deletePushedApp, readManifest, type PushAppOptions, type PushAppResult, type Manifest } from './push/index.js';

// stage and build
export { stage, type StagingOptions, type StagingResult, type StagingEvent } from './staging/index.js';
export { ensureStack, listStacks, DEFAULT_STACK, type StackInfo } from './stack/index.js';
export { buildImage, listImages, inspectImage, removeImage, type BuildImageOptions, type BuiltImage, type ImageSummary } from './oci/index.js';
export { buildApp, type AppImage } from './cnb/index.js';

// run and operate apps
export {
  runApp,
  listApps,
  startApp,
  stopApp,
  restartApp,
  scaleApp,
  deleteApp,
  listReleases,
  rollbackApp,
  appEnv,
  setAppEnv,
  unsetAppEnv,
  type RunOptions,
  type AppSummary,
  type Release,
} from './apps/index.js';

// tasks
export { runTask, type TaskOptions, type TaskResult } from './sandbox/index.js';
export { runAppTask, listTasks, type AppTaskOptions, type TaskRecord } from './apps/index.js';
