import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { homePaths } from '../src/home.js';
import { buildImage, exportImage, openStore, pushImage, rebaseImage } from '../src/oci/index.js';
import { ensureStack } from '../src/stack/index.js';
import { makeDroplet, rebuildStack, startRegistry, type TestRegistry } from '../test/integration/oci/image-fixtures.js';
import { measure as measureRuns, ratio, roundMs, type MeasureOptions, type Row } from './row.js';

const RUNS = Number(process.env.DROPSHIP_BENCH_RUNS ?? 5);

const measure = async (fn: (i: number) => Promise<unknown>, hooks: Omit<MeasureOptions, 'runs'> = {}) =>
  roundMs(await measureRuns(fn, { runs: RUNS, warmup: 1, ...hooks }));

/**
 * Image build, rebase (small against large droplet: it must not grow with the droplet) and push
 * to a local docker-registry against `skopeo copy` of the same image, on the tiny stack, in a
 * private home so the figures do not depend on what else is in the store.
 */
export async function benchImages(): Promise<Row[]> {
  const work = await mkdtemp(join(tmpdir(), 'dropship-bench-images-'));
  const home = homePaths(join(work, 'home'));
  const store = openStore(home);
  const registry = await startRegistry();
  try {
    const stackA = await ensureStack('tiny', { home });
    const stackB = await rebuildStack('tiny', home);
    const small = await makeDroplet(join(work, 'small.tgz'), { startCommand: 'echo small', bigBytes: 64 * 1024 });
    const large = await makeDroplet(join(work, 'large.tgz'), { startCommand: 'echo large', bigBytes: 100 * 1024 * 1024 });
    const rows: Row[] = [];

    const buildSmall = await measure(() => buildImage({ droplet: small, stack: stackA, tag: 'small:v1', store }));
    const buildLarge = await measure(() => buildImage({ droplet: large, stack: stackA, tag: 'large:v1', store }));
    rows.push({ name: 'image build, small droplet (64 KB) on tiny', median_ms: buildSmall });
    rows.push({ name: 'image build, large droplet (100 MB) on tiny', median_ms: buildLarge, note: 'one streaming pass: gunzip → tar → sha256 → store' });

    // Alternate between the two stack builds so every run rewrites. A rebase fsyncs two small
    // blobs and index.json: flush the builds' writeback first so it is not charged to them.
    const stacks = [stackB, stackA];
    const settled = { before: () => execa('sync') };
    const rebaseSmall = await measure((i) => rebaseImage('small:v1', stacks[(i + 2) % 2]!, { store }), settled);
    const rebaseLarge = await measure((i) => rebaseImage('large:v1', stacks[(i + 2) % 2]!, { store }), settled);
    rows.push({ name: 'rebase, small droplet', median_ms: rebaseSmall });
    rows.push({
      name: 'rebase, large droplet (100 MB)',
      median_ms: rebaseLarge,
      peer: 'rebase, small droplet',
      peer_median_ms: rebaseSmall,
      ratio: ratio(rebaseLarge, rebaseSmall),
      note: 'manifest + config rewrite only; should stay ~1.0',
    });

    // Both sides upload the same gzipped blobs (made and cached by the export) to a registry
    // started empty for each run, so neither can skip or mount a blob it pushed before.
    const layout = join(work, 'layout');
    await exportImage('large:v1', { ociLayout: layout }, store);
    let target: TestRegistry | undefined;
    const fresh = {
      before: async () => {
        await rm(join(home.root, 'registry-blobs.json'), { force: true });
        target = await startRegistry();
      },
      after: async () => target?.stop(),
    };
    const ours = await measure(() => pushImage('large:v1', `${target!.host}/bench/app:v1`, { insecure: true, store }), fresh);
    const skopeo = await measure(() => execa('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${target!.host}/bench/app:v1`]), fresh);
    rows.push({ name: 'push ~102 MB image to an empty local registry', median_ms: ours, peer: 'skopeo copy', peer_median_ms: skopeo, ratio: ratio(ours, skopeo) });
    await pushImage('large:v1', `${registry.host}/bench/app:v1`, { insecure: true, store });
    const again = await measure(() => pushImage('large:v1', `${registry.host}/bench/app:v1`, { insecure: true, store }));
    rows.push({ name: 'second push of the same image (no blobs uploaded)', median_ms: again });
    return rows;
  } finally {
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  }
}
