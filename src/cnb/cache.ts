import { constants } from 'node:fs';
import { chown, lstat, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import { writeJsonAtomic } from '../util/atomic.js';
import { removeTree } from '../util/remove-tree.js';
import type { ExportedLayer } from './export.js';
import { parseLayerToml } from './layer-toml.js';
import { SBOM_NAME } from './sbom.js';

/**
 * The app's CNB cache, $DROPSHIP_HOME/cache/<app>/cnb: `layers/` is the layers dir of the last
 * build (bind-mounted as /layers) and `layers.json` records the launch layers of the last image.
 * Restoring follows buildpack.md "Reusing Layers": a cache layer comes back whole; a launch-only
 * layer comes back as its toml alone (the buildpack may keep it, the exporter then reuses the
 * image's layer); anything else is removed; restored tomls keep [metadata] only, no [types]; a
 * layer's SBOM files come back with its toml, the buildpack's launch./build. SBOMs never do.
 * Runs on the host only while no container uses the tree, and never follows a link in it.
 */
export interface CnbCache {
  root: string;
  layers: string;
  previous: Record<string, ExportedLayer>;
  /** Cache layers that came back. */
  restored: string[];
}

const RESERVED = new Set(['launch.toml', 'build.toml', 'store.toml']);

async function kind(path: string): Promise<'dir' | 'file' | 'other' | undefined> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return undefined;
  return info.isDirectory() ? 'dir' : info.isFile() ? 'file' : 'other';
}

async function readNoFollow(path: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

async function writeNew(path: string, text: string, owner: { uid: number; gid: number }): Promise<void> {
  await rm(path, { force: true });
  // O_EXCL: a name that reappeared as a link is an error, not a write through it.
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
  await chown(path, owner.uid, owner.gid);
}

export async function restoreCache(root: string, owner: { uid: number; gid: number }, fresh: boolean): Promise<CnbCache> {
  const layers = join(root, 'layers');
  if (fresh) await removeTree(root);
  await mkdir(layers, { recursive: true, mode: 0o755 });
  if ((await kind(layers)) !== 'dir') await removeTree(layers).then(() => mkdir(layers, { mode: 0o755 }));
  await chown(layers, owner.uid, owner.gid);
  let previous: Record<string, ExportedLayer> = {};
  try {
    previous = JSON.parse(await readFile(join(root, 'layers.json'), 'utf8')) as Record<string, ExportedLayer>;
  } catch {
    previous = {};
  }
  const restored: string[] = [];
  for (const bp of await readdir(layers)) {
    const bpDir = join(layers, bp);
    if ((await kind(bpDir)) !== 'dir') {
      await removeTree(bpDir);
      continue;
    }
    const names = await readdir(bpDir);
    for (const name of names) {
      const path = join(bpDir, name);
      if (RESERVED.has(name)) {
        if (name !== 'store.toml' || (await kind(path)) !== 'file') await removeTree(path);
        continue;
      }
      if (name.endsWith('.toml')) continue;
      if (SBOM_NAME.test(name)) continue;
      // A directory or file with no toml beside it is no layer of the last build.
      if (!names.includes(`${name}.toml`)) await removeTree(path);
    }
    const kept = new Set<string>();
    for (const name of names.filter((n) => n.endsWith('.toml') && !RESERVED.has(n))) {
      const layer = name.slice(0, -'.toml'.length);
      const tomlPath = join(bpDir, name);
      const layerDir = join(bpDir, layer);
      if ((await kind(tomlPath)) !== 'file') {
        await removeTree(tomlPath);
        await removeTree(layerDir);
        continue;
      }
      let types = { launch: false, cache: false };
      let metadata: Record<string, unknown> = {};
      try {
        ({ types, metadata } = parseLayerToml(await readNoFollow(tomlPath), bp, name));
      } catch {
        types = { launch: false, cache: false };
      }
      const keepDir = types.cache && (await kind(layerDir)) === 'dir';
      const keepToml = types.cache || (types.launch && previous[`${bp}/${layer}`] !== undefined);
      if (!keepDir) await removeTree(layerDir);
      if (!keepToml) {
        await rm(tomlPath, { force: true });
        continue;
      }
      await writeNew(tomlPath, Object.keys(metadata).length ? stringify({ metadata }) + '\n' : '', owner);
      kept.add(layer);
      if (keepDir) restored.push(`${bp}/${layer}`);
    }
    // A layer's SBOM comes back with its toml; launch. and build. SBOMs are written afresh by every build.
    for (const name of names) {
      const sbom = SBOM_NAME.exec(name);
      if (sbom && !kept.has(sbom[1]!)) await removeTree(join(bpDir, name));
    }
  }
  return { root, layers, previous, restored };
}

export async function recordLaunchLayers(cache: CnbCache, launchLayers: Record<string, ExportedLayer>): Promise<void> {
  await writeJsonAtomic(join(cache.root, 'layers.json'), launchLayers);
}
