import { DropshipError } from '../errors.js';
import { inspectAppImage } from '../sandbox/index.js';
import { updateApp, type StartResult } from './api.js';
import { readRelease } from './releases.js';
import { requireAppSpec } from './state.js';

/**
 * `dropship rollback APP [N]`: a new release with the code and configuration of release N
 * (default: the one before the current), keeping each process type's current instance count
 * (that is scale's, not a release's history). A running app converges onto it one instance at a time, each new
 * one healthy before an old one is drained, so clients see no failed request.
 */
export async function rollbackApp(name: string, version?: number): Promise<StartResult & { release: number; from: number; to: number }> {
  const spec = await requireAppSpec(name);
  const target = version ?? spec.release - 1;
  if (target < 1) {
    throw new DropshipError('NO_PREVIOUS_RELEASE', `app '${name}' has no release before release ${spec.release}`, {
      hint: `\`dropship releases ${name}\` lists its releases; roll back to one with \`dropship rollback ${name} N\``,
    });
  }
  if (target === spec.release) {
    throw new DropshipError('ROLLBACK_TO_CURRENT', `release ${target} is the current release of '${name}'`, {
      hint: `name an earlier one: \`dropship releases ${name}\` lists them`,
    });
  }
  const release = await readRelease(name, target);
  // Before anything changes: a release whose image is gone cannot run.
  await inspectAppImage(release.imageDigest).catch((error: unknown) => {
    throw new DropshipError('RELEASE_IMAGE_MISSING', `release ${target} of '${name}' runs image ${release.imageDigest} (${release.image}), which is no longer in the store`, {
      hint: `pick another release (\`dropship releases ${name}\`), or push the app again`,
      cause: error,
    });
  });
  const { version: _version, createdAt: _createdAt, reason: _reason, ...content } = release;
  // Each process type keeps its current instance count; a type the current release lacks gets the old release's.
  const processes = content.processes.map((p) => ({ ...p, instances: spec.processes.find((c) => c.type === p.type)?.instances ?? p.instances }));
  // A release from before stacks (or buildpacks) were recorded has none: the current release's must not stay.
  const result = await updateApp(name, { ...content, stack: content.stack, buildpacks: content.buildpacks, processes }, `rollback to release ${target}`);
  return { ...result, from: spec.release, to: target };
}
