import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import {
  baseLayerDescriptor, commitImage, imageArchitecture, packDirectory, packEntries, parseImageName, stackHistory, stackLabels, withImageLock, writeLayer,
  Label, MediaType, type BaseLayer, type Descriptor, type Digest, type ImageConfig, type PackEntry, type Store,
} from '../oci/index.js';
import { VCAP_GID, VCAP_UID } from '../security/idmap.js';
import type { LayerToml, ProcessType } from './layer-toml.js';
import { launcherScript, processDefinition } from './launcher.js';
import { CNB_PATHS, escapeId } from './layout.js';
import { sbomPath, type SbomFile } from './sbom.js';
import { layoutSlices, type AppSlice } from './slices.js';

/** Labels of a CNB image (platform.md "Labels"). */
export const CnbLabel = {
  lifecycle: 'io.buildpacks.lifecycle.metadata',
  build: 'io.buildpacks.build.metadata',
  project: 'io.buildpacks.project.metadata',
} as const;

export interface ExportedLayer {
  digest: Digest;
  diffId: Digest;
  size: number;
}

export interface GroupBuildpack {
  id: string;
  version: string;
  homepage?: string;
  /** Launch layers by name, with their toml; `reuse` when the buildpack kept the previous image's layer. */
  layers: Array<{ name: string; toml: LayerToml; reuse: boolean }>;
}

export interface ExportInput {
  store: Store;
  tag: string;
  stack: BaseLayer;
  epoch: number;
  /** Host dirs: the built app and the layers root. */
  appDir: string;
  layersDir: string;
  group: GroupBuildpack[];
  processes: Array<ProcessType & { buildpackId: string }>;
  defaultType?: string;
  labels: Array<{ key: string; value: string }>;
  /** `[[slices]]` of the group's launch.toml files, in group order. */
  slices: AppSlice[];
  /** The SBOMs of the build; the launch ones go in the image. */
  sboms: SbomFile[];
  /** `io.buildpacks.project.metadata` (platform.md "project-metadata.toml"). */
  projectMetadata: Record<string, unknown>;
  onWarning?: (message: string) => void;
  /** Launch layers of the previous image of this app, keyed `<escaped id>/<layer>`. */
  previous: Record<string, ExportedLayer>;
}

export interface ExportResult {
  name: string;
  tag: string;
  digest: Digest;
  size: number;
  /** Launch layers by `<escaped id>/<layer>`, recorded for the next build's reuse. */
  launchLayers: Record<string, ExportedLayer>;
  /** Bytes of layer blobs that were new to the store (0 for an unchanged rebuild). */
  bytesWritten: number;
  layersWritten: number;
  layersReused: number;
}

const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const VCAP = { uid: VCAP_UID, gid: VCAP_GID };

function launcherEntries(input: ExportInput): PackEntry[] {
  const dir = (name: string): PackEntry => ({ name, type: 'directory', mode: 0o755, uid: 0, gid: 0 });
  const file = (name: string, body: string, mode: number): PackEntry => ({ name, type: 'file', mode, uid: 0, gid: 0, body, size: Buffer.byteLength(body) });
  const types = input.processes.map((p) => p.type).sort();
  const order = input.group.map((b) => escapeId(b.id)).join('\n') + '\n';
  return [
    dir('cnb/'),
    dir('cnb/lifecycle/'),
    file('cnb/lifecycle/launcher', launcherScript(), 0o755),
    file('cnb/lifecycle/order', order, 0o644),
    dir('cnb/lifecycle/processes/'),
    ...input.processes.map((p) => file(`cnb/lifecycle/processes/${p.type}`, processDefinition(p), 0o644)),
    dir('cnb/process/'),
    ...types.map((t): PackEntry => ({ name: `cnb/process/${t}`, type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: '../lifecycle/launcher' })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The SBOM layer (platform.md "Exporter"): the launch SBOMs as `/layers/sbom/launch/<id>/[<layer>/]sbom.<ext>.json`,
 * root-owned and world-readable; empty when there is none.
 */
function sbomEntries(files: SbomFile[]): PackEntry[] {
  const entries: PackEntry[] = [];
  const dirs = new Set<string>();
  for (const f of files) {
    if (f.kind !== 'launch') continue;
    const name = `${CNB_PATHS.layers.slice(1)}/sbom/${sbomPath(f)}`;
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/') + '/';
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push({ name: d, type: 'directory', mode: 0o755, uid: 0, gid: 0 });
      }
    }
    entries.push({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, body: f.body, size: f.body.length });
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function isRealDir(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * The exporter (platform.md "Exporter"): the stack's layer, one layer per launch layer, the app,
 * the launcher; labels as the spec names them; every tar reproducible (fixed mtime, ids set,
 * no names, sorted), so the same inputs give the same digest and an unchanged layer is not
 * stored twice. Call only after the build container is gone: the trees are read from the host.
 */
export async function exportCnbImage(input: ExportInput): Promise<ExportResult> {
  const name = parseImageName(input.tag, '--tag');
  const { store, epoch } = input;
  await store.layout.ensure();
  return withImageLock(store, async () => {
    const base = await baseLayerDescriptor(store, input.stack);
    const layers: Descriptor[] = [base];
    const diffIds: Digest[] = [input.stack.diffId];
    let bytesWritten = 0;
    let layersWritten = 0;
    let layersReused = 0;
    const created = new Date(epoch * 1000).toISOString();
    const history = [stackHistory(input.stack, created)];
    const add = (d: Descriptor, diffId: Digest, written: boolean, what: string) => {
      layers.push(d);
      diffIds.push(diffId);
      history.push({ created, created_by: `dropship build (${what})` });
      if (written) {
        bytesWritten += d.size;
        layersWritten += 1;
      } else layersReused += 1;
    };
    const launchLayers: Record<string, ExportedLayer> = {};
    const bpMetadata = [];
    for (const bp of input.group) {
      const escaped = escapeId(bp.id);
      const layerMeta: Record<string, unknown> = {};
      for (const layer of [...bp.layers].sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const key = `${escaped}/${layer.name}`;
        const hostDir = join(input.layersDir, escaped, layer.name);
        let exported: ExportedLayer;
        if (layer.reuse) {
          const prev = input.previous[key];
          if (!prev || !(await store.blobs.has(prev.digest))) {
            throw new DropshipError('CNB_LAYER_NOT_REUSABLE', `buildpack ${bp.id}: layer ${layer.name}: ${layer.name}.toml asks to keep the launch layer, but no previous image of this app has it`, {
              hint: 'build again with --clear-cache; the buildpack then writes the layer afresh',
              exitCode: 62, details: { buildpack: bp.id, layer: layer.name },
            });
          }
          exported = prev;
          add({ mediaType: MediaType.layer, digest: prev.digest, size: prev.size }, prev.diffId, false, 'buildpack launch layer');
        } else {
          if (!(await isRealDir(hostDir))) {
            throw new DropshipError('CNB_LAYER_MISSING', `buildpack ${bp.id}: layer ${layer.name}: ${layer.name}.toml says launch = true but ${layer.name}/ is not a directory`, {
              hint: 'the buildpack must create the layer directory (or keep a previous one by leaving it absent on a rebuild)',
              exitCode: 62, details: { buildpack: bp.id, layer: layer.name },
            });
          }
          const written = await writeLayer(packDirectory(hostDir, { prefix: `${CNB_PATHS.layers.slice(1)}/${escaped}/${layer.name}/`, owner: VCAP, mtime: epoch }), store.blobs);
          exported = { digest: written.descriptor.digest, diffId: written.diffId, size: written.descriptor.size };
          add(written.descriptor, written.diffId, written.written, 'buildpack launch layer');
        }
        launchLayers[key] = exported;
        layerMeta[layer.name] = { sha: exported.diffId, data: layer.toml.metadata, launch: true, build: layer.toml.types.build, cache: layer.toml.types.cache };
      }
      bpMetadata.push({ key: bp.id, version: bp.version, layers: layerMeta });
    }
    const sbom = sbomEntries(input.sboms);
    const sbomLayer = sbom.length ? await writeLayer(packEntries(sbom, { mtime: epoch }), store.blobs) : undefined;
    if (sbomLayer) add(sbomLayer.descriptor, sbomLayer.diffId, sbomLayer.written, 'sbom');
    // The app: one layer per slice that holds files (in group order), then the rest (buildpack.md "Slice Layers").
    const appPack = (filter: (rel: string) => boolean) =>
      writeLayer(packDirectory(input.appDir, { prefix: `${CNB_PATHS.app.slice(1)}/`, owner: VCAP, mtime: epoch, filter }), store.blobs);
    const layout = await layoutSlices(input.appDir, input.slices);
    const appLayers: Array<{ sha: Digest }> = [];
    for (const [i, members] of layout.slices.entries()) {
      const slice = input.slices[i]!;
      if (members.size === 0) {
        input.onWarning?.(`buildpack ${slice.buildpackId}: launch.toml slices[${slice.index}] (${slice.paths.join(', ')}) matches no app file; no layer for it`);
        continue;
      }
      const layer = await appPack((rel) => members.has(rel));
      add(layer.descriptor, layer.diffId, layer.written, `app slice ${appLayers.length + 1}`);
      appLayers.push({ sha: layer.diffId });
    }
    const app = await appPack((rel) => !layout.sliced.has(rel));
    add(app.descriptor, app.diffId, app.written, 'app');
    appLayers.push({ sha: app.diffId });
    const launcher = await writeLayer(packEntries(launcherEntries(input), { mtime: epoch }), store.blobs);
    add(launcher.descriptor, launcher.diffId, launcher.written, 'launcher');

    const processes = input.processes.map((p) => ({
      type: p.type, command: p.command, args: p.args, direct: true, default: p.type === input.defaultType, buildpackID: p.buildpackId,
      ...(p.workingDir ? { 'working-dir': p.workingDir } : {}),
    }));
    const processTypes = Object.fromEntries(input.processes.map((p) => [p.type, [...p.command, ...p.args].join(' ')]));
    const labels: Record<string, string> = {
      ...Object.fromEntries(input.labels.map((l) => [l.key, l.value])),
      ...stackLabels(input.stack),
      [Label.processTypes]: JSON.stringify(processTypes),
      [Label.buildpacks]: JSON.stringify(input.group.map((b) => ({ name: b.id, version: b.version }))),
      [CnbLabel.lifecycle]: JSON.stringify({
        app: appLayers,
        ...(sbomLayer ? { sbom: { sha: sbomLayer.diffId } } : {}),
        launcher: { sha: launcher.diffId },
        buildpacks: bpMetadata,
        runImage: { topLayer: input.stack.diffId, reference: `${input.stack.name}@${input.stack.diffId}` },
      }),
      [CnbLabel.build]: JSON.stringify({
        processes,
        buildpacks: input.group.map((b) => ({ id: b.id, version: b.version, ...(b.homepage ? { homepage: b.homepage } : {}) })),
        launcher: { version: 'dropship' },
      }),
      [CnbLabel.project]: JSON.stringify(input.projectMetadata),
    };
    const entrypoint = input.defaultType ? `${CNB_PATHS.process}/${input.defaultType}` : CNB_PATHS.launcher;
    const config: ImageConfig = {
      created,
      architecture: imageArchitecture(),
      os: 'linux',
      config: {
        User: `${VCAP_UID}:${VCAP_GID}`,
        Env: [`PATH=${IMAGE_PATH}`, 'LANG=en_US.UTF-8', 'HOME=/home/vcap', `CNB_LAYERS_DIR=${CNB_PATHS.layers}`, `CNB_APP_DIR=${CNB_PATHS.app}`, 'PORT=8080'],
        Entrypoint: [entrypoint],
        WorkingDir: CNB_PATHS.app,
        ExposedPorts: { '8080/tcp': {} },
        Labels: Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))),
      },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history,
    };
    const descriptor = await commitImage(store, name.ref, layers, config);
    return {
      name: name.name, tag: name.tag, digest: descriptor.digest, size: layers.reduce((n, l) => n + l.size, 0),
      launchLayers, bytesWritten, layersWritten, layersReused,
    };
  });
}
