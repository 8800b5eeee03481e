// The push room: manifest.yml, the push plan (manifest + flags, normalised once), and push
// itself (stack → stage → image → deploy through the apps room).
export { parseManifest, readManifest, type Manifest, type ManifestApp, type ManifestProcess, type HealthCheckKind } from './manifest.js';
export { parseVarFlags, readVarsFile, type ManifestVars } from './manifest-vars.js';
export { planPush, PUSH_DEFAULTS, type PushFlags, type PushPlan } from './push-options.js';
export {
  push,
  beginPush,
  endPush,
  stackPhase,
  stagePhase,
  imagePhase,
  startPhase,
  pushSummary,
  pushSucceeded,
  imageTag,
  type PushSeams,
  type PushSummary,
  type PushWork,
  type PushPhase,
  type ProcessSummary,
  type StackLayer,
} from './push.js';
export { realPushSeams } from './push-seams.js';
export { restagePlan } from './restage.js';
export { pushApp, planPushes, type PushAppOptions, type PushAppResult } from './push-app.js';
export { deployImage, type Deployed } from './push-deploy.js';
export { deletePushedApp } from './delete-app.js';
