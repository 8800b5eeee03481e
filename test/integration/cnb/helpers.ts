import { join } from 'node:path';
import { TEST_HOME, uniqueName } from '../../helpers/env.js';
import { homePaths } from '../../../src/home.js';
import { cnbBuild, type CnbBuildOptions, type CnbBuildResult } from '../../../src/cnb/index.js';
import { removeImage } from '../../../src/oci/index.js';
import { removeTree } from '../../../src/util/remove-tree.js';

export const CNB_BUILDPACKS = new URL('../../../fixtures/cnb/buildpacks/', import.meta.url).pathname;
export const CNB_APPS = new URL('../../../fixtures/cnb/apps/', import.meta.url).pathname;
export const bp = (name: string) => join(CNB_BUILDPACKS, name);

/** A unique app name whose cache and images are removed by `cleanup`. */
export function cnbScratch(prefix: string) {
  const name = uniqueName(`cnb-${prefix}`);
  const tags: string[] = [];
  return {
    name,
    tag(t: string) {
      const ref = `${name}:${t}`;
      tags.push(ref);
      return ref;
    },
    build(options: Omit<CnbBuildOptions, 'name' | 'home'> & { lines?: string[] }): Promise<CnbBuildResult> {
      const { lines, ...rest } = options;
      return cnbBuild({ network: false, stack: 'tiny', ...rest, name, home: TEST_HOME, onEvent: (e) => { if (e.type === 'log') lines?.push(e.line); } });
    },
    async cleanup() {
      for (const ref of tags) await removeImage(ref).catch(() => undefined);
      // removeTree: a build may leave a tree deeper than Node's rm can name.
      await removeTree(join(homePaths(TEST_HOME).cache, name));
    },
  };
}
