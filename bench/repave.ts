import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { deleteApp, listAppNames } from '../src/apps/index.js';
import { deployImage } from '../src/push/index.js';
import { repave, repavePlan } from '../src/repave/index.js';
import { buildStack } from '../src/stack/index.js';
import { tinyAppImage } from '../test/helpers/tiny-app-image.js';
import { DEFAULT_PARALLEL } from '../src/cli/repave.js';
import { exec } from './exec.js';
import type { Row } from './row.js';

const APPS = Number(process.env.DROPSHIP_BENCH_REPAVE_APPS ?? 20);
/** Also time this many apps (e.g. 100) when set: it needs about 30 MB of host memory per app. */
const MANY = Number(process.env.DROPSHIP_BENCH_REPAVE_MANY ?? 0);
const DIST = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const SRC = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
/** The installed CLI, as a script would call it; the TypeScript source through tsx when dist/ is not built. */
const cli = (...args: string[]) => (existsSync(DIST) ? exec(process.execPath, [DIST, ...args]) : exec(process.execPath, ['--import', 'tsx', SRC, ...args]));

function get(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/cgi-bin/index', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** One client per app, GETs on fresh connections until stopped: requests made and failed. */
function poll(ports: number[]) {
  let running = true;
  let requests = 0;
  let failed = 0;
  const loops = ports.map(async (port) => {
    while (running) {
      requests++;
      if (!(await get(port))) failed++;
    }
  });
  return async () => {
    running = false;
    await Promise.all(loops);
    return { requests, failed };
  };
}

/** A new build of tiny: the same packages with other mtimes, so every app is one build behind. */
async function moveStack(epoch: number): Promise<void> {
  const saved = process.env.SOURCE_DATE_EPOCH;
  process.env.SOURCE_DATE_EPOCH = String(epoch);
  try {
    await buildStack('tiny', { force: true });
  } finally {
    if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = saved;
  }
}

async function withApps(count: number, prefix: string, fn: (apps: string[], ports: number[]) => Promise<Row[]>): Promise<Row[]> {
  const stack = await buildStack('tiny');
  const apps: string[] = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const app = `${prefix}-${i}`;
      await tinyAppImage(app, stack);
      apps.push(app);
      const deployed = await deployImage({ name: app, image: `dropship-apps/${app}:latest`, instances: 1, stopTimeout: 2 }, { strategy: 'rolling' });
      if (!deployed.running) throw new Error(`${app} did not start`);
      ports.push(deployed.spec.hostPort);
    }
    return await fn(apps, ports);
  } finally {
    for (const app of await listAppNames()) if (app.startsWith(`${prefix}-`)) await deleteApp(app).catch(() => undefined);
  }
}

async function timeRepave(ports: number[], parallel?: number): Promise<{ ms: number; note: string }> {
  const stop = poll(ports);
  const start = performance.now();
  const plan = await repavePlan('tiny');
  const results = await repave(plan, { parallel: parallel ?? DEFAULT_PARALLEL });
  const ms = performance.now() - start;
  const polled = await stop();
  const ok = results.filter((r) => r.outcome === 'repaved').length;
  return { ms, note: `${ok}/${results.length} apps repaved, ${polled.failed} of ${polled.requests} polled requests failed` };
}

/**
 * `dropship repave` for N apps on tiny after a stack build, beside the same job done by hand:
 * `dropship rebase` and `dropship restart --rolling` per app, one after the other. A client
 * polls every app throughout; its failed requests are in the note. One run each (the setup is
 * N app starts), in a store of its own, since it moves the tiny stack.
 */
export async function benchRepave(): Promise<Row[]> {
  if (process.getuid?.() !== 0) return [{ name: 'repave', median_ms: 0, note: 'skipped: needs root' }];
  const saved = process.env.DROPSHIP_HOME;
  const home = await mkdtemp('/var/tmp/dropship-bench-repave-');
  await chmod(home, 0o755);
  process.env.DROPSHIP_HOME = home;
  try {
    const rows = await withApps(APPS, 'bench-rp', async (apps, ports) => {
      await moveStack(1_000_000_000);
      const repaved = await timeRepave(ports);
      await moveStack(1_000_000_001);
      const narrow = await timeRepave(ports, 2);
      await moveStack(1_000_000_002);
      const stop = poll(ports);
      const start = performance.now();
      for (const app of apps) {
        await cli('rebase', `dropship-apps/${app}:latest`);
        await cli('restart', app, '--rolling');
      }
      const byHand = performance.now() - start;
      const polled = await stop();
      return [
        { name: `repave ${APPS} apps (--parallel ${DEFAULT_PARALLEL}, the default)`, median_ms: repaved.ms, peer: 'rebase + restart --rolling per app', peer_median_ms: byHand, ratio: Math.round((repaved.ms / byHand) * 100) / 100, note: `${repaved.note}; by hand: ${polled.failed} of ${polled.requests} failed` },
        { name: `repave ${APPS} apps (--parallel 2)`, median_ms: narrow.ms, note: narrow.note },
      ];
    });
    if (MANY > 0) {
      rows.push(
        ...(await withApps(MANY, 'bench-rp100', async (_apps, ports) => {
          await moveStack(1_000_000_003);
          const many = await timeRepave(ports);
          return [{ name: `repave ${MANY} apps (--parallel ${DEFAULT_PARALLEL})`, median_ms: many.ms, note: many.note }];
        })),
      );
    }
    return rows;
  } finally {
    // The store's daemon goes with the store.
    await cli('daemon', 'stop').catch(() => undefined);
    if (saved === undefined) delete process.env.DROPSHIP_HOME;
    else process.env.DROPSHIP_HOME = saved;
    await rm(home, { recursive: true, force: true });
  }
}
