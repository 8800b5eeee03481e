import { basename, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parse } from 'yaml';
import { DropshipError } from '../errors.js';
import { readTextNoFollow } from '../util/no-follow.js';

export interface BuildpackMetadata {
  name: string;
  version: string;
  stacks: string[];
  /** `v2` (Cloud Foundry/Heroku scripts) or the Buildpack API of a Cloud Native Buildpack. */
  api: string;
}

/**
 * A directory with buildpack.toml is a Cloud Native Buildpack: its id and version name it here;
 * the cnb room validates the whole file when it runs it.
 */
async function readCnbMetadata(dir: string): Promise<BuildpackMetadata | undefined> {
  const file = join(dir, 'buildpack.toml');
  const text = await readTextNoFollow(file);
  if (text === undefined) return undefined;
  let doc: { api?: unknown; buildpack?: { id?: unknown; version?: unknown }; stacks?: Array<{ id?: unknown }> };
  try {
    doc = parseToml(text) as typeof doc;
  } catch (error) {
    throw new DropshipError('CNB_BUILDPACK_TOML_INVALID', `${file}: not valid TOML: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'fix the TOML syntax of buildpack.toml', cause: error,
    });
  }
  return {
    name: String(doc.buildpack?.id ?? basename(dir)),
    version: String(doc.buildpack?.version ?? ''),
    stacks: Array.isArray(doc.stacks) ? doc.stacks.map((s) => String(s?.id)).filter((s) => s !== '*') : [],
    api: String(doc.api ?? ''),
  };
}

/**
 * Name, version and stacks from a buildpack directory, read the way Cloud Foundry buildpacks
 * publish them: `manifest.yml` (`name` or `language`, `version`, `stacks` or the `cf_stacks` of
 * its dependencies) and a `VERSION` file. A bare directory of scripts is named after itself.
 */
export async function readBuildpackMetadata(dir: string): Promise<BuildpackMetadata> {
  const cnb = await readCnbMetadata(dir);
  if (cnb) return cnb;
  const manifestPath = join(dir, 'manifest.yml');
  // Read as root from a tree anyone may have packed (a URL in an app's manifest): a link to a host
  // file would put that file's content into `dropship buildpacks` and result.json.
  const text = await readTextNoFollow(manifestPath);
  const versionFile = (await readTextNoFollow(join(dir, 'VERSION')))?.trim();
  let manifest: Record<string, unknown> = {};
  if (text !== undefined) {
    try {
      manifest = (parse(text) as Record<string, unknown> | null) ?? {};
    } catch (error) {
      throw new DropshipError('BUILDPACK_MANIFEST_INVALID', `${manifestPath} is not valid YAML: ${(error as Error).message}`, {
        hint: 'fix the YAML syntax of the buildpack manifest',
        cause: error,
      });
    }
    if (typeof manifest !== 'object' || Array.isArray(manifest)) manifest = {};
  }
  const name = String(manifest.name ?? manifest.language ?? basename(dir));
  const version = String(manifest.version ?? versionFile ?? '');
  let stacks: string[] = [];
  if (Array.isArray(manifest.stacks)) {
    stacks = manifest.stacks.map(String);
  } else if (Array.isArray(manifest.dependencies)) {
    const set = new Set<string>();
    for (const dep of manifest.dependencies as Array<{ cf_stacks?: unknown }>) {
      if (Array.isArray(dep?.cf_stacks)) for (const s of dep.cf_stacks) set.add(String(s));
    }
    stacks = [...set].sort();
  }
  return { name, version, stacks, api: 'v2' };
}
