import { DropshipError } from '../errors.js';
import { plainText } from '../util/plain-text.js';
import type { Limits } from './phases/limits.js';

export type StepName = 'detect' | 'supply' | 'finalize' | 'compile' | 'release';

/** Cloud Foundry's staging exit codes. */
export const EXIT_CODES = {
  detect: 222,
  compile: 223,
  finalize: 223,
  release: 224,
  supply: 225,
} as const satisfies Record<StepName, number>;

const FAILURE_CODES: Record<StepName, string> = {
  detect: 'NO_BUILDPACK_DETECTED',
  compile: 'BUILDPACK_COMPILE_FAILED',
  finalize: 'BUILDPACK_COMPILE_FAILED',
  release: 'BUILDPACK_RELEASE_FAILED',
  supply: 'BUILDPACK_SUPPLY_FAILED',
};

export interface StepExit {
  exitCode: number;
  signal?: string;
  oomKilled: boolean;
  timedOut: boolean;
  /** The step wrote more output than allowed and was stopped. */
  outputExceeded?: boolean;
  /** The step failed with the staging disk full. */
  diskFull?: boolean;
}

function describeExit(script: string, exit: StepExit, limits: Limits): string {
  if (exit.timedOut) return `${script} was still running when the staging timeout (${limits.timeout}) expired and was killed`;
  if (exit.outputExceeded) return `${script} wrote more than ${limits.output} of output and was killed`;
  if (exit.oomKilled) return `${script} ran out of memory (limit ${limits.memory}) and was killed`;
  if (exit.diskFull) return `${script} exited with code ${exit.exitCode}: No space left (staging disk limit ${limits.disk})`;
  if (exit.signal) return `${script} was killed by ${exit.signal}`;
  return `${script} exited with code ${exit.exitCode}`;
}

/**
 * A failed buildpack step as users see it (execa's message style): which buildpack, which step,
 * how it ended, and the last lines it printed.
 */
export function stepFailure(input: {
  step: StepName;
  buildpack: string;
  exit: StepExit;
  tail: string[];
  limits: Limits;
}): DropshipError {
  const script = `bin/${input.step}`;
  const what = {
    detect: 'Failed to detect',
    supply: 'Failed to supply dependencies',
    finalize: 'Failed to compile droplet',
    compile: 'Failed to compile droplet',
    release: 'Failed to build droplet release',
  }[input.step];
  // The buildpack's colours stay in the logs; the error names the failure in plain text.
  const lines = input.tail.map(plainText);
  const tail = lines.length ? `\nlast lines of output:\n${lines.map((l) => `  ${l}`).join('\n')}` : '';
  const message = `${what}: buildpack '${input.buildpack}' failed in ${input.step}: ${describeExit(script, input.exit, input.limits)}${tail}`;
  const hint = input.exit.timedOut
    ? 'raise --timeout if the buildpack needs longer, or find where it hangs in the output above'
    : input.exit.oomKilled
      ? 'raise --memory for staging'
      : input.exit.outputExceeded
        ? 'make the buildpack less verbose; it is probably looping'
        : input.exit.diskFull
          ? 'raise the staging disk limit: dropship stage --disk SIZE, or push -k SIZE / disk_quota in manifest.yml'
          : `the buildpack's last lines above say why; fix the app or the buildpack, or choose another with -b`;
  return new DropshipError(
    input.exit.timedOut ? 'STAGING_TIMEOUT' : input.exit.diskFull ? 'STAGING_DISK_FULL' : FAILURE_CODES[input.step],
    message,
    {
      hint,
      exitCode: EXIT_CODES[input.step],
      details: { buildpack: input.buildpack, step: input.step, exitCode: input.exit.exitCode, signal: input.exit.signal, tail: lines },
    },
  );
}

export function noBuildpackDetected(tried: string[]): DropshipError {
  return new DropshipError('NO_BUILDPACK_DETECTED', 'None of the buildpacks detected a compatible application', {
    hint: `tried, in order: ${tried.join(', ') || '(none)'}; name one with -b (e.g. -b binary with a Procfile or --command)`,
    exitCode: 222,
    details: { step: 'detect', tried },
  });
}
