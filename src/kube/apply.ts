import type { KubernetesObject } from '@kubernetes/client-node';
import { DropshipError } from '../errors.js';
import type { KubeObject } from './types.js';

const FIELD_MANAGER = 'dropship';

/** The API server's own reason, when the client hands us one (client-node's ApiException carries the Status body). */
function reasonOf(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body;
    }
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Server-side apply of every object, in order, with the kubeconfig from KUBECONFIG or ~/.kube/config.
 * Server-side apply creates what is missing and updates what dropship owns, leaving fields
 * other managers set alone. The client loads only here: nothing else in dropship talks to a cluster.
 */
export async function applyObjects(objects: KubeObject[], onProgress: (line: string) => void = () => undefined): Promise<void> {
  const { KubeConfig, KubernetesObjectApi, PatchStrategy } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  try {
    config.loadFromDefault();
  } catch (error) {
    throw new DropshipError('KUBE_CONFIG', `cannot read the kubeconfig: ${(error as Error).message}`, {
      hint: 'point KUBECONFIG at a valid kubeconfig, or write ~/.kube/config',
      cause: error,
    });
  }
  if (!config.getCurrentCluster()) {
    throw new DropshipError('KUBE_CONFIG', 'no Kubernetes cluster is configured (KUBECONFIG / ~/.kube/config has no current context)', {
      hint: 'set a context with `kubectl config use-context NAME`, or run without --apply and apply the YAML yourself',
    });
  }
  const client = KubernetesObjectApi.makeApiClient(config);
  for (const [index, object] of objects.entries()) {
    const what = `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
    try {
      // Same JSON; the client types timestamps as Date, and dropship sets none.
      await client.patch(object as unknown as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (error) {
      throw new DropshipError('KUBE_APPLY', `applying ${what} to ${config.getCurrentCluster()!.server} failed: ${reasonOf(error)}`, {
        hint: `${index ? `the ${index} object(s) before it were applied` : 'nothing was applied'}; fix the cause and run again (apply is idempotent)`,
        cause: error,
      });
    }
    onProgress(`applied ${what}`);
  }
}
