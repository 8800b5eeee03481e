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

/** `bin/detect <build>` for each candidate in order: the first exit 0 wins. */
export async function detect(runner: StepRunner, candidates: DetectCandidate[], limits: Limits): Promise<Detection> {
  for (const candidate of candidates) {
    const outcome = await runner.run({
      step: 'detect',
      buildpack: candidate.buildpack.name,
      args: [`${candidate.mount}/bin/detect`, CONTAINER.build],
      captureStdout: true,
    });
    if (outcome.timedOut || outcome.outputExceeded || outcome.oomKilled) {
      throw stepFailure({ step: 'detect', buildpack: candidate.buildpack.name, exit: outcome, tail: outcome.tail, limits });
    }
    if (outcome.exitCode === 0) {
      // detected_buildpack lands in result.json, the droplet and messages: plain text only.
      return { winner: candidate, detected: plainText(outcome.stdout).trim() || candidate.buildpack.name };
    }
  }
  throw noBuildpackDetected(candidates.map((c) => c.buildpack.name));
}
