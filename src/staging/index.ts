// The staging lifecycle: detect, supply, finalize/compile, release, droplet.
export { stage } from './stage.js';
export type { StagingOptions, StagingResult, StagingEvent, StagingPhase, StackRootfs } from './types.js';
export { normalizeStagingOptions, type NormalizedStagingOptions } from './options.js';
export { parseProcfile } from './procfile.js';
export { parseReleaseYaml, parseLaunchYaml, type ReleaseInfo, type LaunchProcess } from './release.js';
export { mergeProcesses, startCommand, type ProcessTable } from './processes.js';
export { buildpackEnv, parseEnvAssignments, memoryLimitValue } from './env.js';
export { platformStagingEnv, hostNpmRegistry, hostExtraCaCerts } from './platform-env.js';
export { resultJson, stagingInfo, configVarsScript, type ResultJson, type BuildpackRecord } from './metadata.js';
export { EXIT_CODES, stepFailure, noBuildpackDetected, type StepName } from './failure.js';
export { depsIndex, CONTAINER as STAGING_PATHS } from './layout.js';
export { copyAppSource, loadIgnore } from './source.js';
export { writeDroplet, type WrittenDroplet } from './droplet.js';
// Seams for the cnb room, which runs its phases in the same hardened staging container.
export type { StepOutcome } from './runner.js';
export { stackRootfs } from './stack-rootfs.js';
export { withStagingSession, type StagingSession } from './session.js';
export { isEnvName } from './env.js';
export { gcOrphans, type OrphanReport } from './orphans.js';
export { removeStagingCache } from './cache.js';
