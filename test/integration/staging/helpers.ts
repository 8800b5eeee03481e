import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { TEST_HOME, uniqueName } from '../../helpers/env.js';
import { listContainers } from '../../../src/container/index.js';
import { homePaths } from '../../../src/home.js';
import { stage, type StagingEvent, type StagingOptions, type StagingResult } from '../../../src/staging/index.js';

export const APPS = new URL('../../../fixtures/apps/', import.meta.url).pathname;
export const BUILDPACKS = new URL('../../../fixtures/buildpacks/', import.meta.url).pathname;

export interface Staged {
  result: StagingResult;
  lines: string[];
  events: StagingEvent[];
  out: string;
}

/** A scratch directory and a unique app name (its cache), removed by `cleanup`. */
export async function scratch(prefix: string): Promise<{ out: string; name: string; cleanup: () => Promise<void> }> {
  const out = await mkdtemp(join('/tmp', `dropship-stg-${prefix}-`));
  const name = uniqueName(`h3-${prefix}`);
  return {
    out,
    name,
    cleanup: async () => {
      await rm(out, { recursive: true, force: true });
      await rm(join(homePaths(TEST_HOME).cache, name), { recursive: true, force: true });
    },
  };
}

/** Run `fn` with a scratch directory and app name, removed afterwards whatever happens. */
export async function inScratch(prefix: string, fn: (scratch: { out: string; name: string }) => Promise<void>): Promise<void> {
  const { out, name, cleanup } = await scratch(prefix);
  try {
    await fn({ out, name });
  } finally {
    await cleanup();
  }
}

export async function stageApp(app: string, out: string, name: string, options: Partial<StagingOptions> = {}): Promise<Staged> {
  const lines: string[] = [];
  const events: StagingEvent[] = [];
  const result = await stage({
    appDir: app.startsWith('/') ? app : join(APPS, app),
    name,
    dropletPath: join(out, 'droplet.tgz'),
    stack: 'tiny',
    timeout: '2m',
    memory: '256M',
    ...options,
    onEvent: (event) => {
      events.push(event);
      if (event.type === 'log') lines.push(event.line);
      options.onEvent?.(event);
    },
  });
  return { result, lines, events, out };
}

/** Stage and expect a failure; returns the error and the lines printed. */
export async function stageFails(app: string, out: string, name: string, options: Partial<StagingOptions> = {}) {
  const lines: string[] = [];
  try {
    await stageApp(app, out, name, {
      ...options,
      onEvent: (event) => {
        if (event.type === 'log') lines.push(event.line);
        options.onEvent?.(event);
      },
    });
  } catch (error) {
    return { error: error as Error & { code: string; exitCode: number; hint?: string }, lines };
  }
  assert.unreachable('staging should have failed');
  throw new Error('unreachable');
}

/** `tar -tv` of the droplet: name → "mode owner [-> target]". */
export function dropletEntries(path: string): Map<string, string> {
  const text = execFileSync('tar', ['-tvzf', path, '--numeric-owner'], { encoding: 'utf8' });
  const entries = new Map<string, string>();
  for (const line of text.trim().split('\n')) {
    const parts = line.split(/\s+/);
    const rest = parts.slice(5).join(' ');
    const [name, target] = rest.split(' -> ');
    entries.set(name!, `${parts[0]} ${parts[1]}${target ? ` -> ${target}` : ''}`);
  }
  return entries;
}

export function dropletFile(path: string, member: string): string {
  return execFileSync('tar', ['-xzOf', path, member], { encoding: 'utf8' });
}

/** No container of this app is left, running or as a bundle. */
export async function assertNoContainers(app: string): Promise<void> {
  const left = (await listContainers()).filter((c) => c.labels.app === app);
  assert.equal(left.map((c) => c.id), [], `containers left for ${app}`);
}
