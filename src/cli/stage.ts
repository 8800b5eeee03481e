import type { Command } from 'commander';
import type { StagingEvent, StagingResult } from '../staging/index.js';
import { DropshipError } from '../errors.js';
import { cancellable } from './cancel.js';
import { collect } from './output.js';

interface StageFlags {
  buildpack?: string[];
  stack?: string;
  name?: string;
  env?: string[];
  command?: string;
  droplet?: string;
  result?: string;
  timeout: string;
  memory: string;
  disk: string;
  cache: boolean;
  network: boolean;
  json?: boolean;
}

const TAG = '[STG/0]';

interface OutputFailure {
  stream: 'stdout' | 'stderr';
  error: NodeJS.ErrnoException;
}

/**
 * stdout or stderr failing (a reader that closed the pipe, `| head`; a full disk) ends the staging the
 * way Ctrl-C does — container, network lease, mounts and work dir removed — and the command then
 * fails with one line, instead of dying mid-staging with a stack trace and leaving them behind.
 */
function watchOutput(stop: () => void): () => OutputFailure | undefined {
  let failure: OutputFailure | undefined;
  for (const stream of ['stdout', 'stderr'] as const) {
    // Kept for the life of the process: a later write to a dead pipe must not crash it either.
    process[stream].on('error', (error: NodeJS.ErrnoException) => {
      failure ??= { stream, error };
      process.exitCode = 1;
      stop();
    });
  }
  return () => failure;
}

function outputError(failure: OutputFailure): DropshipError {
  const code = failure.error.code ?? 'an error';
  const why = code === 'EPIPE' ? 'its reader closed it (EPIPE)' : code === 'ENOSPC' ? 'no space left where it goes (ENOSPC)' : code;
  return new DropshipError('OUTPUT_FAILED', `staging stopped: writing its output to ${failure.stream} failed: ${why}; the staging container and its files were removed`, {
    hint: code === 'EPIPE' ? 'let the reader take all of the output (| tail, > FILE) or use --json' : `make room where ${failure.stream} goes, or send it elsewhere`,
    exitCode: 1,
    cause: failure.error,
  });
}

/** Resolves once what was written to `stream` has been handed to the system (or failed). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** Settles when a phase's `done`/`failed`/`skipped` event arrives, whichever side comes first. */
class PhaseWaiter {
  private readonly entries = new Map<string, { promise: Promise<'done' | 'skipped'>; resolve: (v: 'done' | 'skipped') => void; reject: (e: unknown) => void; settled: boolean }>();

  private entry(key: string) {
    let entry = this.entries.get(key);
    if (!entry) {
      let resolve!: (v: 'done' | 'skipped') => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<'done' | 'skipped'>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined);
      entry = { promise, resolve, reject, settled: false };
      this.entries.set(key, entry);
    }
    return entry;
  }

  wait(key: string): Promise<'done' | 'skipped'> {
    return this.entry(key).promise;
  }

  settle(key: string, status: 'done' | 'skipped' | Error): void {
    const entry = this.entry(key);
    if (entry.settled) return;
    entry.settled = true;
    if (status instanceof Error) entry.reject(status);
    else entry.resolve(status);
  }

  /** The staging ended: whatever still waits ends with it. */
  finish(error?: unknown): void {
    for (const [key, entry] of this.entries) {
      if (!entry.settled) this.settle(key, error instanceof Error ? error : 'skipped');
    }
  }
}

function phaseKey(event: { phase: string; buildpack?: string }): string {
  return event.buildpack ? `${event.phase}:${event.buildpack}` : event.phase;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

function summary(result: StagingResult): string {
  const types = Object.entries(result.processTypes).map(([t, c]) => `  ${t}: ${c}`).join('\n');
  const cache = result.cache.reused ? 'reused' : 'cold';
  return [
    `droplet:       ${result.droplet.path} (${result.droplet.bytes} bytes, ${result.droplet.digest})`,
    `result:        ${result.resultPath}`,
    `buildpack:     ${result.detectedBuildpack}`,
    `start command: ${result.startCommand}`,
    `process types:\n${types}`,
    `cache:         ${cache}, ${result.cache.bytes} bytes in ${result.cache.dir}`,
    `time:          ${seconds(result.timings.totalMs)} (buildpack scripts ${seconds(result.timings.scriptsMs)})`,
  ].join('\n') + '\n';
}

async function withListr(run: (onEvent: (e: StagingEvent) => void) => Promise<StagingResult>): Promise<StagingResult> {
  const { Listr, PRESET_TIMER } = await import('listr2');
  const waiter = new PhaseWaiter();
  let output: ((line: string) => void) | undefined;
  let plan: Array<{ name: string; steps: string[] }> | undefined;
  let planned: () => void = () => undefined;
  const planKnown = new Promise<void>((resolve) => (planned = resolve));
  const warnings: string[] = [];
  const onEvent = (event: StagingEvent) => {
    if (event.type === 'phase' && event.status !== 'start') {
      waiter.settle(phaseKey(event), event.status === 'failed' ? new Error(`${event.title} failed`) : event.status);
    } else if (event.type === 'log') {
      output?.(event.line);
    } else if (event.type === 'plan') {
      plan = event.buildpacks;
      planned();
    } else if (event.type === 'warning') {
      warnings.push(event.message);
    }
  };
  type Wrapper = { output: string; skip(message?: string): void; title: string };
  const step = (title: string, key: string) => ({
    title,
    task: async (_ctx: unknown, task: Wrapper) => {
      output = (line) => (task.output = line);
      if ((await waiter.wait(key)) === 'skipped') task.skip(`${title} (skipped)`);
    },
    rendererOptions: { bottomBar: 8, persistentOutput: false },
  });
  const titles: Record<string, string> = { supply: 'Supplying', finalize: 'Finalizing', compile: 'Compiling' };
  const list = new Listr([
    step('Downloading buildpacks', 'download'),
    step('Copying app source', 'upload'),
    step('Detecting', 'detect'),
    {
      title: 'Running buildpacks',
      task: async (_ctx: unknown, task: { newListr: (tasks: unknown[]) => unknown }) => {
        await Promise.race([planKnown, waiter.wait('__end__')]);
        if (!plan) return;
        return task.newListr(plan.flatMap((bp) => bp.steps.map((s) => step(`${titles[s]} ${bp.name}`, `${s}:${bp.name}`))));
      },
    },
    step('Releasing', 'release'),
    step('Packaging droplet', 'package'),
    step('Saving cache', 'cache'),
  ] as never[], { exitOnError: true, rendererOptions: { timer: PRESET_TIMER, collapseSubtasks: false } });
  const staging = run(onEvent).then(
    (result) => {
      waiter.settle('__end__', 'done');
      waiter.finish();
      return result;
    },
    (error: unknown) => {
      waiter.settle('__end__', error instanceof Error ? error : new Error(String(error)));
      waiter.finish(error);
      throw error;
    },
  );
  await list.run().catch(() => undefined);
  const result = await staging;
  for (const message of warnings) process.stderr.write(`warning: ${message}\n`);
  return result;
}

function plainEvent(event: StagingEvent): void {
  switch (event.type) {
    case 'log':
      process.stdout.write(`${TAG} ${event.line}\n`);
      break;
    case 'phase':
      if (event.status === 'start') process.stdout.write(`${TAG} ${event.title}...\n`);
      else if (event.status === 'skipped') process.stdout.write(`${TAG} ${event.title}\n`);
      else process.stdout.write(`${TAG} ${event.title}: ${event.status} in ${seconds(event.durationMs ?? 0)}\n`);
      break;
    case 'warning':
      process.stderr.write(`${TAG} warning: ${event.message}\n`);
      break;
    case 'plan':
      if (event.detected) process.stdout.write(`${TAG} Detected: ${event.detected}\n`);
      break;
  }
}

export function register(program: Command): void {
  program
    .command('stage')
    .description('stage an app with buildpacks in a hardened container: droplet.tgz and result.json')
    .argument('<app-dir>', 'the app source')
    .option('-b, --buildpack <name|dir|file|url>', 'buildpack to use, repeatable (all but the last supply); none: detect', collect)
    .option('--stack <name>', 'stack to stage on: tiny or bookworm (default bookworm, as push)')
    .option('--name <app>', 'app name (keys the staging cache); default: the directory name')
    .option('-e, --env <K=V>', 'environment variable for buildpacks, repeatable', collect)
    .option('-c, --command <cmd>', 'start command for the web process (overrides Procfile and buildpack)')
    .option('--droplet <out.tgz>', 'where to write the droplet', 'droplet.tgz')
    .option('--result <out.json>', 'where to write result.json (default: beside the droplet)')
    .option('--timeout <duration>', 'staging time limit', '15m')
    .option('--memory <size>', 'staging memory limit', '1G')
    .option('--disk <size>', 'staging disk limit: build dir, deps, cache and writable layer together', '4G')
    .option('--no-cache', 'start from an empty staging cache')
    .option('--no-network', 'stage with loopback only (offline or vendored builds); default: the staging security groups')
    .option('--json', 'JSON lines: events, then the result (or the error)')
    .action(async (appDir: string, flags: StageFlags) => {
      const lib = await import('../staging/index.js');
      await cancellable(async (controller) => {
        const outputFailed = watchOutput(() => controller.abort());
        const options = {
          appDir,
          buildpacks: flags.buildpack,
          stack: flags.stack,
          name: flags.name,
          env: lib.parseEnvAssignments(flags.env ?? []),
          command: flags.command,
          dropletPath: flags.droplet,
          resultPath: flags.result,
          timeout: flags.timeout,
          memory: flags.memory,
          disk: flags.disk,
          noCache: !flags.cache,
          network: flags.network,
          signal: controller.signal,
        };
        if (flags.json) {
          const line = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');
          try {
            const result = await lib.stage({ ...options, onEvent: (e) => line(e.type === 'log' ? { ...e, source: 'STG/0' } : e) });
            line({ type: 'result', ...result });
          } catch (error) {
            const failed = outputFailed();
            if (failed) throw outputError(failed);
            const e = error as { code?: string; message?: string; hint?: string; exitCode?: number };
            line({ type: 'error', code: e.code ?? 'ERROR', message: e.message ?? String(error), hint: e.hint, exit_code: e.exitCode ?? 1 });
            process.exitCode = e.exitCode ?? 1;
          }
          await flushed(process.stdout);
          const failed = outputFailed();
          if (failed) throw outputError(failed);
          return;
        }
        const tty = Boolean(process.stdout.isTTY) && !process.env.CI;
        let result: StagingResult;
        try {
          result = tty ? await withListr((onEvent) => lib.stage({ ...options, onEvent })) : await lib.stage({ ...options, onEvent: plainEvent });
        } catch (error) {
          const failed = outputFailed();
          throw failed ? outputError(failed) : error;
        }
        process.stdout.write(summary(result));
        await flushed(process.stdout);
        const failed = outputFailed();
        if (failed) throw outputError(failed);
      });
    });
}
