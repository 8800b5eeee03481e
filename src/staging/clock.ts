import type { StagingEvent, StagingPhase } from './types.js';

/** Emits phase start/done/failed events and adds up the time spent per phase. */
export class PhaseClock {
  readonly timings: Partial<Record<StagingPhase, number>> = {};
  private readonly open = new Map<string, number>();

  constructor(private readonly emit: (event: StagingEvent) => void) {}

  start(phase: StagingPhase, title: string, buildpack?: string): void {
    this.open.set(title, Date.now());
    this.emit({ type: 'phase', phase, status: 'start', title, ...(buildpack ? { buildpack } : {}) });
  }

  end(phase: StagingPhase, title: string, ok: boolean, buildpack?: string): void {
    const durationMs = Date.now() - (this.open.get(title) ?? Date.now());
    this.open.delete(title);
    this.timings[phase] = (this.timings[phase] ?? 0) + durationMs;
    this.emit({ type: 'phase', phase, status: ok ? 'done' : 'failed', title, durationMs, ...(buildpack ? { buildpack } : {}) });
  }

  skip(phase: StagingPhase, title: string): void {
    this.emit({ type: 'phase', phase, status: 'skipped', title });
  }

  async run<T>(phase: StagingPhase, title: string, fn: () => Promise<T>): Promise<T> {
    this.start(phase, title);
    try {
      const result = await fn();
      this.end(phase, title, true);
      return result;
    } catch (error) {
      this.end(phase, title, false);
      throw error;
    }
  }
}
