import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { DropshipError } from '../errors.js';
import type { RepaveEvent, RepaveResult } from '../repave/index.js';
import { printJson, printTable, shortDigest } from './output.js';

interface Flags {
  stack?: string;
  parallel?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('repave')
    .description('move every app that runs an older build of its stack onto the current build: rebase (no restage), new release, rolling replacement; an app whose new instances fail is rolled back')
    .option('--stack <name>', 'only apps on this stack')
    .option('--parallel <n>', `apps repaved at the same time (default: 4 per core, at most 16; here ${DEFAULT_PARALLEL})`)
    .option('--dry-run', 'show which apps would move, change nothing')
    .option('--json', 'print the plan or the results as JSON')
    .action(async (flags: Flags) => {
      const parallel = parseParallel(flags.parallel);
      const lib = await import('../repave/index.js');
      if (flags.stack !== undefined) {
        const { getStack } = await import('../stack/index.js');
        if (!(await getStack(flags.stack))) {
          throw new DropshipError('STACK_NOT_BUILT', `stack ${flags.stack} was never built`, { hint: `dropship stack build ${flags.stack}` });
        }
      }
      const plan = await lib.repavePlan(flags.stack);
      if (flags.dryRun || plan.todo.length === 0) {
        if (flags.json) return printJson({ dryRun: !!flags.dryRun, ...plan });
        for (const s of plan.skipped) process.stderr.write(`note: ${s.app} is left alone: ${s.reason}\n`);
        if (plan.todo.length === 0) {
          process.stdout.write(`Nothing to repave: ${plan.upToDate.length} app${plan.upToDate.length === 1 ? '' : 's'} on the current build of ${flags.stack ?? 'their stack'}\n`);
          return;
        }
        printTable(
          ['APP', 'RELEASE', 'STACK', 'BUILD', 'BEHIND'],
          plan.todo.map((i) => [i.app, String(i.release), i.stack, `${shortDigest(i.stackDiffId)} → ${shortDigest(i.target)}`, i.behind < 0 ? 'older than the history' : String(i.behind)]),
        );
        return;
      }

      // Ctrl-C: no app starts after it; the ones in flight finish, each on exactly one release.
      const abort = new AbortController();
      const onSigint = () => {
        if (!abort.signal.aborted) process.stderr.write('\nInterrupted: no further app starts; waiting for the apps in flight to settle on one release\n');
        abort.abort();
      };
      process.on('SIGINT', onSigint);
      const started = performance.now();
      let results: RepaveResult[];
      try {
        const run = (onEvent: (e: RepaveEvent) => void) => lib.repave(plan, { parallel, signal: abort.signal, onEvent });
        results = !flags.json && process.stderr.isTTY ? await withTaskList(plan.todo.map((i) => i.app), run) : await run(plainLine);
      } finally {
        process.off('SIGINT', onSigint);
      }
      const totalMs = Math.round(performance.now() - started);
      const failed = results.filter((r) => r.outcome !== 'repaved');
      if (flags.json) {
        printJson({ results, ms: totalMs, interrupted: abort.signal.aborted });
      } else {
        printTable(
          ['APP', 'STACK', 'BUILD', 'RELEASE', 'RESULT', 'TIME'],
          results.map((r) => [r.app, r.stack, `${shortDigest(r.from)} → ${shortDigest(r.to)}`, String(r.release), r.error ? `${r.outcome}: ${r.error}` : r.outcome, `${(r.ms / 1000).toFixed(1)}s`]),
        );
        process.stdout.write(`${results.length - failed.length} of ${results.length} apps repaved in ${(totalMs / 1000).toFixed(1)}s\n`);
      }
      if (failed.length > 0) {
        throw new DropshipError('REPAVE_INCOMPLETE', `${failed.length} of ${results.length} apps not repaved: ${failed.map((r) => `${r.app} (${r.outcome})`).join(', ')}`, {
          hint: abort.signal.aborted ? 'run dropship repave again to move the rest' : 'dropship logs APP --recent says why; the rolled-back apps run their previous release',
          exitCode: abort.signal.aborted ? 130 : 1,
        });
      }
    });
}

/**
 * Below 4 per core an app's repave is mostly waiting (an instance starting, its health check, a
 * drain); above it, the host's CPU and the store's network lock are the bound. Measured on a shared
 * 2-core host (load 15-27), 20 apps in one run: 2 → 23.6 s, 4 → 18.5 s, 8 → 11.8 s, 16 → 14.2 s,
 * 20 → 10.9 s. So 4 per core, at most 16.
 */
export const DEFAULT_PARALLEL = Math.min(16, 4 * availableParallelism());

function parseParallel(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PARALLEL;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > 64) {
    throw new DropshipError('INVALID_OPTION', `--parallel: '${value}' is not a number from 1 to 64`, { hint: 'e.g. --parallel 4' });
  }
  return n;
}

function plainLine(event: RepaveEvent): void {
  if (event.step === 'waiting') return;
  process.stderr.write(`${event.app}: ${event.step}${event.message ? ` (${event.message})` : ''}\n`);
}

/** On a terminal: one listr2 line per app, all shown at once, each following its app's events. */
async function withTaskList(apps: string[], run: (onEvent: (e: RepaveEvent) => void) => Promise<RepaveResult[]>): Promise<RepaveResult[]> {
  const { Listr } = await import('listr2');
  const listeners = new Map<string, (e: RepaveEvent) => void>();
  const latest = new Map<string, RepaveEvent>();
  const settled = new Map<string, { resolve: (e: RepaveEvent) => void; promise: Promise<RepaveEvent> }>();
  for (const app of apps) {
    let resolve!: (e: RepaveEvent) => void;
    settled.set(app, { resolve: (e) => resolve(e), promise: new Promise((r) => (resolve = r)) });
  }
  const finals = new Set(['done', 'rolled back', 'failed', 'not started']);
  const list = new Listr(
    apps.map((app) => ({
      title: `${app}: waiting`,
      task: async (_ctx: unknown, task: { title: string; skip: (m: string) => void }) => {
        const show = (e: RepaveEvent) => (task.title = `${app}: ${e.step}${e.message ? ` (${e.message})` : ''}`);
        listeners.set(app, show);
        // Events from before listr ran this task.
        const seen = latest.get(app);
        if (seen) show(seen);
        const last = await settled.get(app)!.promise;
        if (last.step === 'rolled back' || last.step === 'failed') throw new Error(`${app}: ${last.step}${last.message ? ` (${last.message})` : ''}`);
        if (last.step === 'not started') task.skip(`${app}: not started (interrupted)`);
      },
    })),
    { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false } },
  );
  const shown = list.run().catch(() => undefined);
  const results = await run((e) => {
    latest.set(e.app, e);
    listeners.get(e.app)?.(e);
    if (finals.has(e.step)) settled.get(e.app)!.resolve(e);
  });
  await shown;
  return results;
}
