import type { Container } from '../container/types.js';
import type { StepExit, StepName } from './failure.js';
import { LineBuffer } from './output.js';

export interface StepSpec {
  step: StepName;
  /** Buildpack name, for logs and errors. */
  buildpack: string;
  args: string[];
  env?: Record<string, string>;
  /** Keep stdout to parse (detect, release) instead of streaming it as log lines. */
  captureStdout?: boolean;
  /** Where this step's lines go instead of the runner's sink (steps that run side by side keep theirs apart). */
  onLine?: LogSink;
}

export interface StepOutcome extends StepExit {
  stdout: string;
  /** Last lines of the step's output, stdout and stderr together. */
  tail: string[];
  durationMs: number;
}

/** The one thing phases need from the staging container: run a buildpack script as vcap. */
export interface StepRunner {
  run(spec: StepSpec): Promise<StepOutcome>;
}

export type LogSink = (line: string, stream: 'stdout' | 'stderr') => void;

export interface ContainerRunnerOptions {
  env: Record<string, string>;
  cwd: string;
  onLine: LogSink;
  /** Wall-clock deadline (ms since epoch) of the whole staging. */
  deadline: number;
  /** Bytes of output one staging may write before it is stopped. */
  maxOutputBytes: number;
  /** Captured stdout (detect, release) beyond this is an error of the buildpack. */
  maxCaptureBytes?: number;
  /** Once aborted, no further step starts (a running one is stopped by killing the container). */
  signal?: AbortSignal;
  /** Whether the staging disk is full, asked after a step failed (see disk.ts). */
  diskFull?: () => Promise<boolean>;
}

/**
 * Steps run by `exec` in one long-lived staging container. A step that overruns the deadline
 * or floods the output is stopped by killing the container's init: that ends every process of
 * the step, background children included, which killing the step's own pid would not.
 */
export class ContainerStepRunner implements StepRunner {
  private outputBytes = 0;
  /** Time spent in buildpack scripts, for the platform-overhead figure. */
  scriptsMs = 0;

  constructor(
    private readonly container: Container,
    private readonly options: ContainerRunnerOptions,
  ) {}

  async run(spec: StepSpec): Promise<StepOutcome> {
    const started = Date.now();
    const tail: string[] = [];
    const remember = (line: string) => {
      tail.push(line);
      if (tail.length > 10) tail.shift();
    };
    const sink = spec.onLine ?? this.options.onLine;
    const stderr = new LineBuffer((line) => {
      remember(line);
      sink(line, 'stderr');
    });
    const stdoutLines = new LineBuffer((line) => {
      remember(line);
      sink(line, 'stdout');
    });
    const captured: Buffer[] = [];
    let capturedBytes = 0;
    let outputExceeded = false;
    let timedOut = false;
    const stop = () => {
      this.container.kill('SIGKILL').catch(() => undefined);
    };
    const account = (chunk: Buffer): boolean => {
      this.outputBytes += chunk.length;
      const captureLimit = this.options.maxCaptureBytes ?? 4 * 1024 * 1024;
      if (this.outputBytes > this.options.maxOutputBytes || (spec.captureStdout && capturedBytes > captureLimit)) {
        if (!outputExceeded) {
          outputExceeded = true;
          stop();
        }
        return false;
      }
      return true;
    };
    if (this.options.signal?.aborted) {
      return { exitCode: 137, signal: 'SIGKILL', oomKilled: false, timedOut: false, stdout: '', tail, durationMs: 0 };
    }
    const remaining = this.options.deadline - Date.now();
    if (remaining <= 0) {
      return { exitCode: 137, signal: 'SIGKILL', oomKilled: false, timedOut: true, stdout: '', tail, durationMs: 0 };
    }
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, remaining);
    try {
      const exit = await this.container.exec(spec.args, {
        user: 'vcap',
        cwd: this.options.cwd,
        env: { ...this.options.env, ...spec.env },
        onStdout: (chunk) => {
          if (!account(chunk)) return;
          if (spec.captureStdout) {
            capturedBytes += chunk.length;
            captured.push(chunk);
          } else {
            stdoutLines.write(chunk);
          }
        },
        onStderr: (chunk) => {
          if (account(chunk)) stderr.write(chunk);
        },
      });
      stdoutLines.end();
      stderr.end();
      this.scriptsMs += Date.now() - started;
      const stdout = Buffer.concat(captured).toString('utf8');
      if (spec.captureStdout) for (const line of stdout.split('\n').slice(-10)) if (line) remember(line);
      const failed = exit.exitCode !== 0 && !timedOut && !exit.timedOut && !exit.oomKilled && !outputExceeded;
      const diskFull = failed && ((await this.options.diskFull?.()) ?? false);
      return {
        exitCode: exit.exitCode,
        signal: exit.signal,
        oomKilled: exit.oomKilled,
        timedOut: timedOut || exit.timedOut,
        outputExceeded,
        ...(diskFull ? { diskFull } : {}),
        stdout,
        tail,
        durationMs: Date.now() - started,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
