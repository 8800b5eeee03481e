import type { Buildpack } from '../../buildpack/index.js';
import { plainText } from '../../util/plain-text.js';
import { CONTAINER } from '../layout.js';
import { noBuildpackDetected, stepFailure } from '../failure.js';
import type { StepRunner } from '../runner.js';
import type { Limits } from './limits.js';

export interface DetectCandidate {
  buildpack: Buildpack;
  mount: string;
}

export interface Detection {
  winner: DetectCandidate;
  /** Trimmed stdout of the winning bin/detect (Cloud Foundry's detected_buildpack). */
  detected: string;
}

/**
 * The second pass's marker. A buildpack that can serve an app it only recognises weakly (staticfile:
 * a bare `index.html`, no `Staticfile`) detects only in this pass, so a language buildpack that
 * recognises the app (a Node.js app with `public/index.html`) wins over it whatever the order.
 */
export const FALLBACK_ENV = { DROPSHIP_DETECT_FALLBACK: '1' };

async function pass(runner: StepRunner, candidates: DetectCandidate[], limits: Limits, env?: Record<string, string>): Promise<Detection | undefined> {
  for (const candidate of candidates) {
    const outcome = await runner.run({
      step: 'detect',
      buildpack: candidate.buildpack.name,
      args: [`${candidate.mount}/bin/detect`, CONTAINER.build],
      captureStdout: true,
      ...(env ? { env } : {}),
    });
    if (outcome.timedOut || outcome.outputExceeded || outcome.oomKilled) {
      throw stepFailure({ step: 'detect', buildpack: candidate.buildpack.name, exit: outcome, tail: outcome.tail, limits });
    }
    if (outcome.exitCode === 0) {
      // detected_buildpack lands in result.json, the droplet and messages: plain text only.
      return { winner: candidate, detected: plainText(outcome.stdout).trim() || candidate.buildpack.name };
    }
  }
  return undefined;
}

/**
 * `bin/detect <build>` for each candidate in order: the first exit 0 wins. When none does, once
 * more in order with DROPSHIP_DETECT_FALLBACK=1 (buildpacks that do not know it answer the same).
 */
export async function detect(runner: StepRunner, candidates: DetectCandidate[], limits: Limits): Promise<Detection> {
  const found = (await pass(runner, candidates, limits)) ?? (await pass(runner, candidates, limits, FALLBACK_ENV));
  if (found) return found;
  throw noBuildpackDetected(candidates.map((c) => c.buildpack.name));
}
