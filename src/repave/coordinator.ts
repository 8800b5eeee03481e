import type { RepaveItem } from './plan.js';

/**
 * What repave drives, as narrow seams (the live ones are in live.ts): each call is one step of
 * one app, and each leaves the app on exactly one release whether it succeeds or throws.
 */
export interface RepaveSeams {
  /** Put the app's image on the stack's current build (a manifest rewrite); the new manifest digest. */
  rebase(item: RepaveItem): Promise<string>;
  /** A new release on `digest` (reason "repave"), instances rolled onto it; throws when they do not become healthy. */
  release(item: RepaveItem, digest: string): Promise<{ release: number }>;
  /** Back to the release the app had before (item.release), rolled the same way. */
  rollback(item: RepaveItem): Promise<{ release: number }>;
}

export type RepaveStep = 'waiting' | 'rebasing' | 'rolling' | 'rolling back' | 'done' | 'rolled back' | 'failed' | 'not started';

export interface RepaveEvent {
  app: string;
  step: RepaveStep;
  message?: string;
}

export interface RepaveResult {
  app: string;
  stack: string;
  from: string;
  to: string;
  outcome: 'repaved' | 'rolled back' | 'failed' | 'not started';
  /** The app's release afterwards (unchanged when not started or when the rebase failed). */
  release: number;
  imageDigest?: string;
  error?: string;
  ms: number;
}

export interface CoordinatorOptions {
  parallel: number;
  /** Aborted (Ctrl-C): no further app starts; apps in flight finish their step sequence. */
  signal?: AbortSignal;
  onEvent?: (event: RepaveEvent) => void;
}

/**
 * Repave apps, at most `parallel` at a time: rebase, roll onto the new release, and on a failed
 * roll go back to the previous release. One app's failure never stops the others; an abort only
 * stops apps from starting, so no app is left between two releases by repave itself.
 */
export async function runRepave(items: RepaveItem[], seams: RepaveSeams, options: CoordinatorOptions): Promise<RepaveResult[]> {
  const emit = options.onEvent ?? (() => undefined);
  const results = new Array<RepaveResult>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      const item = items[index]!;
      if (options.signal?.aborted) {
        results[index] = { ...base(item), outcome: 'not started', release: item.release, ms: 0 };
        emit({ app: item.app, step: 'not started', message: 'interrupted before it started' });
        continue;
      }
      results[index] = await repaveOne(item, seams, emit);
    }
  };
  for (const item of items) emit({ app: item.app, step: 'waiting' });
  const parallel = Math.max(1, Math.min(options.parallel, items.length));
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}

function base(item: RepaveItem) {
  return { app: item.app, stack: item.stack, from: item.stackDiffId, to: item.target };
}

async function repaveOne(item: RepaveItem, seams: RepaveSeams, emit: (event: RepaveEvent) => void): Promise<RepaveResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  let digest: string;
  try {
    emit({ app: item.app, step: 'rebasing' });
    digest = await seams.rebase(item);
  } catch (error) {
    // Nothing changed yet: the app keeps its release.
    emit({ app: item.app, step: 'failed', message: messageOf(error) });
    return { ...base(item), outcome: 'failed', release: item.release, error: `rebase: ${messageOf(error)}`, ms: ms() };
  }
  try {
    emit({ app: item.app, step: 'rolling', message: digest });
    const { release } = await seams.release(item, digest);
    emit({ app: item.app, step: 'done', message: `release ${release}` });
    return { ...base(item), outcome: 'repaved', release, imageDigest: digest, ms: ms() };
  } catch (error) {
    const why = messageOf(error);
    emit({ app: item.app, step: 'rolling back', message: why });
    try {
      const { release } = await seams.rollback(item);
      emit({ app: item.app, step: 'rolled back', message: why });
      return { ...base(item), outcome: 'rolled back', release, imageDigest: item.imageDigest, error: why, ms: ms() };
    } catch (rollbackError) {
      const both = `${why}; rollback failed too: ${messageOf(rollbackError)}`;
      emit({ app: item.app, step: 'failed', message: both });
      return { ...base(item), outcome: 'failed', release: item.release, error: both, ms: ms() };
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
