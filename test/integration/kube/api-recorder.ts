import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';

export interface RecordedRequest {
  method: string;
  url: string;
  contentType?: string;
  body: string;
}

const RESOURCES: Record<string, Array<{ name: string; kind: string }>> = {
  '/api/v1': [{ name: 'secrets', kind: 'Secret' }, { name: 'services', kind: 'Service' }],
  '/apis/apps/v1': [{ name: 'statefulsets', kind: 'StatefulSet' }, { name: 'deployments', kind: 'Deployment' }],
  '/apis/networking.k8s.io/v1': [{ name: 'networkpolicies', kind: 'NetworkPolicy' }],
};

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
};

/**
 * No cluster is reachable here, so `--apply` is checked against an HTTP endpoint on 127.0.0.1 that
 * answers API discovery and records every request (and accepts every apply). It shows what
 * dropship sends and that without --apply it sends nothing; it proves nothing about a real API server.
 */
export async function startApiRecorder(dir: string): Promise<{ kubeconfig: string; requests: RecordedRequest[]; stop: () => Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = req.url ?? '/';
    requests.push({ method: req.method ?? '', url, contentType: req.headers['content-type'], body });
    const path = url.split('?')[0]!;
    const list = RESOURCES[path];
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET' && list) {
      const groupVersion = path === '/api/v1' ? 'v1' : path.slice('/apis/'.length);
      res.end(JSON.stringify({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: list.map((r) => ({ ...r, singularName: '', namespaced: true, verbs: ['get', 'patch', 'create'] })) }));
      return;
    }
    if (req.method === 'PATCH') {
      res.end(JSON.stringify(JSON.parse(body)));
      return;
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `not here: ${req.method} ${path}`, code: 404 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'recorder', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'not-a-secret' } }],
      contexts: [{ name: 'recorder', context: { cluster: 'recorder', user: 'u', namespace: 'default' } }],
      'current-context': 'recorder',
    }),
    { mode: 0o600 },
  );
  return { kubeconfig, requests, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
