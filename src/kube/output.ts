import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import type { KubeManifests } from './types.js';
import { toYaml } from './yaml.js';

/**
 * DIR/<app>.yaml and the profile files beside it. The YAML holds the app's Secret (env and service
 * credentials), so it is written 0600; each file appears whole or not at all.
 */
export async function writeManifests(dir: string, app: string, manifests: KubeManifests, header?: string): Promise<string[]> {
  const written: string[] = [];
  const yamlPath = join(dir, `${app}.yaml`);
  await writeFileAtomic(yamlPath, toYaml(manifests.objects, header), { mode: 0o600 });
  written.push(yamlPath);
  for (const file of manifests.files) {
    const path = join(dir, file.path);
    await writeFileAtomic(path, file.content, { mode: 0o644 });
    written.push(path);
  }
  return written;
}
