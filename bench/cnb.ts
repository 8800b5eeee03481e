import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cnbBuild, type CnbBuildResult } from '../src/cnb/index.js';
import { homePaths } from '../src/home.js';
import { removeImage } from '../src/oci/index.js';
import { median, type Row } from './row.js';

const RUNS = Number(process.env.DROPSHIP_BENCH_RUNS ?? 5);
const FIXTURES = fileURLToPath(new URL('../fixtures/cnb/', import.meta.url));
/** What pack users report for a cached rebuild of a hello-world app (buildpacks/pack#632); pack is not installed here. */
const PACK_REPORTED_MS = 20_000;

/**
 * A cached rebuild of an unchanged CNB app (two fixture buildpacks, a build+launch+cache layer,
 * a launch-only layer kept from the previous image): the whole `dropship build` path in-process,
 * detect, build, export. Bytes written is what the rebuild added to the store (0: nothing changed).
 */
export async function benchCnb(): Promise<Row[]> {
  const name = `bench-cnb-${process.pid}`;
  const tag = `${name}:latest`;
  const build = () => cnbBuild({
    appDir: join(FIXTURES, 'apps/hello'), name, tag, stack: 'tiny', network: false,
    buildpacks: [join(FIXTURES, 'buildpacks/provider'), join(FIXTURES, 'buildpacks/consumer')],
  });
  try {
    await build();
    const results: CnbBuildResult[] = [];
    for (let i = 0; i < RUNS; i++) results.push(await build());
    const pick = (f: (r: CnbBuildResult) => number) => Math.round(median(results.map(f)));
    const total = pick((r) => r.timings.totalMs);
    const bytes = Math.max(...results.map((r) => r.image.bytesWritten));
    return [
      {
        name: 'cnb: cached rebuild of an unchanged app', median_ms: total, peer: 'pack build (reported, pack#632)', peer_median_ms: PACK_REPORTED_MS,
        ratio: Math.round((total / PACK_REPORTED_MS) * 100) / 100,
        note: `bytes written ${bytes}; detect ${pick((r) => r.timings.detectMs)} ms, build ${pick((r) => r.timings.buildMs)} ms, export ${pick((r) => r.timings.exportMs)} ms`,
      },
    ];
  } finally {
    await removeImage(tag).catch(() => undefined);
    await rm(join(homePaths().cache, name), { recursive: true, force: true });
  }
}
