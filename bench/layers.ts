import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { homePaths } from '../src/home.js';
import { BlobStore, ImageLayout, MediaType, ensureUnpacked, openStore, unpackLayer, writeLayer } from '../src/oci/index.js';
import { defaultIdMap } from '../src/security/idmap.js';
import { ensureStack, getStack, type StackInfo } from '../src/stack/index.js';
import { measure as measureRuns, ratio, roundMs, type MeasureOptions, type Row } from './row.js';

/** Runs per figure: every run moves the whole rootfs, so a few are enough for a stable median. */
const RUNS = Number(process.env.DROPSHIP_BENCH_RUNS ?? 3);

const measure = async (fn: (i: number) => Promise<unknown>, hooks: Omit<MeasureOptions, 'runs'> = {}) => roundMs(await measureRuns(fn, { runs: RUNS, ...hooks }));

function sh(script: string, env: Record<string, string> = {}): void {
  execFileSync('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
}

function row(name: string, ours: number, peer?: string, peerMs?: number, note?: string): Row {
  return {
    name,
    median_ms: ours,
    ...(peer ? { peer, peer_median_ms: peerMs, ratio: ratio(ours, peerMs!) } : {}),
    ...(note ? { note } : {}),
  };
}

/**
 * Layer write and unpack on the bookworm rootfs (tiny when bookworm is not built), against GNU tar
 * with gzip and pigz and against umoci, in the same run. The layer-write figures are the measurement
 * behind storing local layers uncompressed.
 */
export async function benchLayers(): Promise<Row[]> {
  const home = homePaths();
  const stack: StackInfo = (await getStack('bookworm', home)) ?? (await ensureStack('tiny', { home }));
  const label = `${stack.name} rootfs, ${Math.round(stack.size / 1024 / 1024)} MB`;
  await mkdir(home.tmp, { recursive: true });
  const work = await mkdtemp(join(home.tmp, 'bench-layers-'));
  try {
    const { blobs } = openStore(home);
    const tree = join(work, 'tree');
    await mkdir(tree);
    await unpackLayer(await blobs.openRead(stack), tree, { whiteouts: 'apply' });

    const scratch = new BlobStore(join(work, 'store'));
    const dropBlob = async () => {
      for (const d of await scratch.list()) await scratch.remove(d);
    };
    const writePlain = await measure(() => writeLayer(tree, scratch), { after: dropBlob });
    const writeGzip = await measure(() => writeLayer(tree, scratch, { compress: true }), { after: dropBlob });
    const out = join(work, 'out.tar.gz');
    const tarGzip = await measure(async () => sh('tar -C "$T" -cf - . | gzip -6 > "$O"', { T: tree, O: out }));
    const tarPigz = await measure(async () => sh('tar -C "$T" -cf - . | pigz -6 > "$O"', { T: tree, O: out }));
    const tarPlain = await measure(async () => sh('tar -C "$T" -cf - . > "$O"', { T: tree, O: out }));

    const umociLayout = join(work, 'umoci');
    sh('umoci init --layout "$L" && umoci new --image "$L:base"', { L: umociLayout });
    const umociInsert = await measure((i) => Promise.resolve(sh('umoci insert --image "$L:base" --tag "t$I" "$T" /', { L: umociLayout, T: tree, I: String(i) })));

    // One image over the stack layer, for umoci unpack to read.
    const layoutDir = join(work, 'image');
    const imageBlobs = new BlobStore(layoutDir);
    await new ImageLayout(layoutDir).ensure();
    const layer = await imageBlobs.writeStream(await blobs.openRead(stack));
    const config = await imageBlobs.writeJson({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [stack.diffId] } });
    const manifest = await imageBlobs.writeJson({
      schemaVersion: 2,
      mediaType: MediaType.manifest,
      config: { mediaType: MediaType.config, digest: config.digest, size: config.size },
      layers: [{ mediaType: MediaType.layer, digest: layer.digest, size: layer.size }],
    });
    await new ImageLayout(layoutDir).setRef('bench', { mediaType: MediaType.manifest, digest: manifest.digest, size: manifest.size });

    const idMap = defaultIdMap();
    const target = join(work, 'unpacked');
    const fresh = { before: () => mkdir(target).then(() => undefined), after: () => rm(target, { recursive: true, force: true }) };
    const unpack = await measure(async () => unpackLayer(await blobs.openRead(stack), target, { idMap }), fresh);
    const base = idMap.uidMap[0]!.hostID;
    const umociUnpack = await measure(
      async () => sh(`umoci unpack --uid-map 0:${base}:65536 --gid-map 0:${base}:65536 --image "$L:bench" "$B"`, { L: layoutDir, B: target }),
      { after: fresh.after },
    );
    const umociPlain = await measure(async () => sh('umoci unpack --image "$L:bench" "$B"', { L: layoutDir, B: target }), { after: fresh.after });
    await ensureUnpacked(stack.diffId, idMap, home);
    const cached = await measure(() => ensureUnpacked(stack.diffId, idMap, home));

    return [
      row(`layer write, uncompressed (${label})`, writePlain, 'umoci insert (gzip, parallel)', umociInsert, 'the local store keeps layers uncompressed: this row against the gzip rows is why'),
      row('layer write, gzip -6 in Node', writeGzip, 'tar -cf - | gzip -6', tarGzip),
      row('layer write, uncompressed', writePlain, 'tar -cf - | pigz -6', tarPigz),
      row('layer write, uncompressed', writePlain, 'tar -cf - (no compression)', tarPlain),
      row(`layer unpack with id shift (${label})`, unpack, 'umoci unpack --uid-map', umociUnpack),
      row('layer unpack with id shift', unpack, 'umoci unpack (no id shift)', umociPlain),
      row('layer unpack, second instance (cache hit)', cached, undefined, undefined, 'unpacked once per layer and id map, then a stat'),
    ];
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await benchLayers());
}
