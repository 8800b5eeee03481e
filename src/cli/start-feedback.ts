import type { InstanceStatus } from '../apps/index.js';
import { DropshipError } from '../errors.js';
import { plainText } from '../util/plain-text.js';
import { cancellable } from './cancel.js';

/**
 * `start` and `restart` while they wait for health: the instances' states and the app's lines
 * on stderr as they come (stdout stays the table, or JSON), then ✔ or ✖ with why. Ctrl-C (or
 * SIGTERM) ends the wait at once: `work` gets the signal and says what it left.
 */
export async function withStartFeedback<T extends { running: boolean; instances: InstanceStatus[] }>(
  name: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { watchStart, explainStartFailure } = await import('../daemon/index.js');
  const { requireAppSpec } = await import('../apps/index.js');
  const say = (line: string) => process.stderr.write(`${plainText(line)}\n`);
  const watch = watchStart(name, say);
  let result: T;
  try {
    result = await cancellable(({ signal }) => work(signal));
  } finally {
    await watch.stop();
  }
  const healthy = result.instances.filter((i) => i.state === 'running').length;
  if (result.running) {
    say(`✔ ${name}: ${healthy}/${result.instances.length} instance(s) healthy`);
    return result;
  }
  const failure = await explainStartFailure(await requireAppSpec(name), result.instances);
  say(`✖ ${name}: ${healthy}/${result.instances.length} instance(s) healthy: ${failure.reason}`);
  if (failure.lines.length) say(`last lines of ${name}:\n${failure.lines.map((l) => `  ${l}`).join('\n')}`);
  return Object.assign(result, { failureReason: failure.reason });
}

/** `start`, `restart` (and `run -d`, `rollback`) fail when an instance never became healthy; the daemon keeps trying. */
export function requireHealthy(name: string, result: { running: boolean; failureReason?: string }): void {
  if (result.running) return;
  throw new DropshipError('START_FAILED', `not every instance of '${name}' became healthy${result.failureReason ? `: ${result.failureReason}` : ''}; the daemon keeps restarting them`, {
    hint: `see \`dropship logs ${name} --recent\``,
  });
}
