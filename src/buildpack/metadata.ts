import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { DropshipError } from '../errors.js';
import { readTextNoFollow } from '../util/no-follow.js';

export interface BuildpackMetadata {
  name: string;
  version: string;
  stacks: string[];
}

/**
 * Name, version and stacks from a buildpack directory, read the way Cloud Foundry buildpacks
 * publish them: `manifest.yml` (`name` or `language`, `version`, `stacks` or the `cf_stacks` of
 * its dependencies) and a `VERSION` file. A bare directory of scripts is named after itself.
 */
export async function readBuildpackMetadata(dir: string): Promise<BuildpackMetadata> {
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
  return { name, version, stacks };
}
