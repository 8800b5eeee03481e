import type { AppSummary, StackMark } from '../apps/index.js';

/** How long since `since` (ISO): `42s`, `3m5s`, `2h10m`. */
export function uptime(since: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
}

/**
 * The stack under a release: `tiny`, `tiny (outdated)` when the stack has a newer build here
 * (`dropship repave` moves the app), `-` for an image that names no stack, `unknown` for a release
 * made before releases recorded their stack whose image is not in the store to say.
 */
export function stackCell(mark: StackMark | null | undefined): string {
  if (mark === undefined) return 'unknown';
  if (mark === null) return '-';
  if (mark.current === undefined) return `${mark.name} (not built here)`;
  return mark.outdated ? `${mark.name} (outdated)` : mark.name;
}

/** Every process type as running/desired: `web 1/1, worker 0/2`. */
export function processesCell(app: AppSummary): string {
  return app.processes.map((p) => `${p.type} ${p.running}/${p.instances}`).join(', ');
}
