import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinBuildpacksDir } from '../src/buildpack/index.js';
import { homePaths } from '../src/home.js';
import { stage, type StagingResult } from '../src/staging/index.js';
import { median, ratio, type Row } from './row.js';

const RUNS = Number(process.env.DROPSHIP_BENCH_RUNS ?? 10);
const APP = fileURLToPath(new URL('../fixtures/apps/static-site/', import.meta.url));

function script(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, CF_STACK: 'tiny' } });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 || file.endsWith('detect') ? resolve() : reject(new Error(`${file}: exit ${code}`))));
  });
}

/** The staticfile buildpack's scripts run bare on the host, as the staging runs them: the floor. */
async function bareScripts(work: string): Promise<number> {
  const bp = join(builtinBuildpacksDir(), 'staticfile', 'bin');
  const dir = join(work, `bare-${Math.random().toString(36).slice(2)}`);
  await cp(APP, join(dir, 'app'), { recursive: true });
  await Promise.all(['cache', 'deps/0', 'profile.d'].map((d) => mkdir(join(dir, d), { recursive: true })));
  const start = process.hrtime.bigint();
  const app = join(dir, 'app');
  await script(join(bp, 'detect'), [app]);
  await script(join(bp, 'supply'), [app, join(dir, 'cache'), join(dir, 'deps'), '0']);
  await script(join(bp, 'finalize'), [app, join(dir, 'cache'), join(dir, 'deps'), '0', join(dir, 'profile.d')]);
  await script(join(bp, 'release'), [app]);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await rm(dir, { recursive: true, force: true });
  return ms;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Staging the static-site fixture on the tiny stack (detect included), cold cache and warm,
 * against its buildpack scripts run bare: the difference is the platform's own overhead
 * (container start and stop, execs, copying, packing). The stack is built and unpacked first.
 */
export async function benchStaging(): Promise<Row[]> {
  const work = await mkdtemp(join(homePaths().tmp, 'bench-staging-'));
  const name = `bench-static-${process.pid}`;
  const once = (noCache: boolean) => stage({ appDir: APP, name, dropletPath: join(work, 'droplet.tgz'), noCache, memory: '256M' });
  try {
    await once(true);
    const cold: number[] = [];
    const warm: number[] = [];
    const bare: number[] = [];
    const scripts: number[] = [];
    let last: StagingResult | undefined;
    for (let i = 0; i < RUNS; i++) {
      let start = process.hrtime.bigint();
      await once(true);
      cold.push(Number(process.hrtime.bigint() - start) / 1e6);
      start = process.hrtime.bigint();
      last = await once(false);
      warm.push(Number(process.hrtime.bigint() - start) / 1e6);
      scripts.push(last.timings.scriptsMs);
      bare.push(await bareScripts(work));
    }
    const floor = median(bare);
    const rows = (label: string, values: number[]): Row => {
      const ours = median(values);
      return {
        name: `stage static site on tiny, ${label}`,
        median_ms: round(ours),
        peer: 'its buildpack scripts run bare',
        peer_median_ms: round(floor),
        ratio: ratio(ours, floor),
        note: `platform overhead ${Math.round(ours - floor)} ms (aim < 500); in-container steps ${Math.round(median(scripts))} ms of it incl. exec`,
      };
    };
    return [rows('cold cache', cold), rows('warm cache', warm)];
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(join(homePaths().cache, name), { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await benchStaging());
}
