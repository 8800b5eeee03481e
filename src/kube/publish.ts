import { DropshipError } from '../errors.js';
import { parseRegistryReference, pushImage, type Credentials } from '../oci/registry/index.js';

export interface PublishOptions {
  insecure?: boolean;
  credentials?: Credentials;
  onProgress?: (line: string) => void;
}

/** `--registry HOST[:PORT]/REPO`: a place, without tag or digest (dropship picks the tag, the registry the digest). */
export function parseRegistryTarget(value: string): { registry: string; repository: string } {
  const slash = value.indexOf('/');
  const repository = slash > 0 ? value.slice(slash + 1) : '';
  if (slash <= 0 || !repository || /[:@]/.test(repository)) {
    throw new DropshipError('KUBE_INVALID_REGISTRY', `--registry '${value}' is not HOST[:PORT]/REPO`, {
      hint: 'write e.g. --registry 127.0.0.1:5000/apps (no tag or digest: the image is tagged with the app name and used by digest)',
    });
  }
  const ref = parseRegistryReference(`${value}:latest`);
  return { registry: ref.registry, repository: ref.repository };
}

/**
 * Push the app's image to REGISTRY/REPO:<app> and return it by the digest the registry answered
 * with: the manifests name content, so a re-tag cannot change what the cluster runs.
 */
export async function publishImage(storeImage: string, app: string, target: string, options: PublishOptions = {}): Promise<string> {
  const { registry, repository } = parseRegistryTarget(target);
  const tag = app.replace(/[^A-Za-z0-9_.-]/g, '-');
  const pushed = await pushImage(storeImage, `${registry}/${repository}:${tag}`, options);
  return `${registry}/${repository}@${pushed.digest}`;
}
