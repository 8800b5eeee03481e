import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deleteApp } from '../src/apps/api.js';
import { planPush } from '../src/push/push-options.js';
import { imageTag, push, type PushPhase, type PushSummary } from '../src/push/push.js';
import { realPushSeams } from '../src/push/push-seams.js';
import { readAppSpec } from '../src/apps/state.js';
import { homePaths } from '../src/home.js';
import { removeImage } from '../src/oci/index.js';
import { median, type Row } from './row.js';

const RUNS = Number(process.env.DROPSHIP_BENCH_PUSH_RUNS ?? 3);
const APP = fileURLToPath(new URL('../fixtures/apps/node-hello/', import.meta.url));
const PHASES: PushPhase[] = ['stack', 'stage', 'image', 'start'];
const round = (ms: number) => Math.round(ms);

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** One push of node-hello to its first 200 answer: total and per-phase milliseconds. */
async function pushToAnswer(name: string): Promise<{ total: number; phases: PushSummary['timings'] }> {
  const [plan] = planPush({ path: APP, name, noManifest: true });
  const started = performance.now();
  const summary = await push(plan!, realPushSeams());
  if (!summary.url) throw new Error(`push of ${name} printed no url (state ${summary.state})`);
  while (!(await answers(summary.url))) {
    if (performance.now() - started > 600_000) throw new Error(`${summary.url} never answered`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { total: performance.now() - started, phases: summary.timings };
}

function rows(label: string, runs: Array<{ total: number; phases: PushSummary['timings'] }>, note: string): Row[] {
  const split = PHASES.map((p) => `${p} ${round(median(runs.map((r) => r.phases[p] ?? 0)))}`).join(', ');
  return [
    { name: `push node-hello to first answer, ${label}`, median_ms: round(median(runs.map((r) => r.total))), note: `${note}; ms per phase: ${split}` },
    ...PHASES.map((p) => ({ name: `push node-hello, ${label}: ${p}`, median_ms: round(median(runs.map((r) => r.phases[p] ?? 0))) })),
  ];
}

/**
 * `dropship push` of the Node.js quick-start app, cold (a new app: empty buildpack cache, Node.js
 * and npm downloaded; the stack is built too if this machine never built it) and warm (the same
 * app pushed again: everything cached, the running app replaced).
 */
export async function benchPush(): Promise<Row[]> {
  const name = `bench-push-${process.pid}`;
  try {
    const cold = await pushToAnswer(name);
    const warm = [];
    for (let i = 0; i < RUNS; i++) warm.push(await pushToAnswer(name));
    return [
      ...rows('cold', [cold], 'one run: new app, Node.js downloaded'),
      ...rows('warm', warm, `aim < 5000; pack reports ~20 s of fixed overhead for a cached hello-world build; ${RUNS} runs`),
    ];
  } finally {
    if (await readAppSpec(name).catch(() => undefined)) await deleteApp(name);
    await removeImage(imageTag(name)).catch(() => undefined);
    await rm(join(homePaths().cache, name), { recursive: true, force: true });
  }
}
